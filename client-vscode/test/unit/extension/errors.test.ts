import { expect, test } from "vitest";
import { describeError, failureKind, offersEmbeddedSetup, settingToFix } from "../../../src/errors";

test("the server's message (which says what to do) is shown as it is", () => {
  const error = { code: -32803, message: "Model 'x' is not installed: run `ollama pull x`", data: { kind: "modelNotFound" } };
  expect(describeError(error)).toBe("Model 'x' is not installed: run `ollama pull x`");
  expect(failureKind(error)).toBe("modelNotFound");
});

test("invalid params name the bad field", () => {
  expect(describeError({ code: -32602, message: "prompt must not be empty", data: { field: "prompt" } })).toBe("prompt must not be empty (`prompt`)");
  expect(failureKind({ code: -32602, message: "x" })).toBeUndefined();
});

test("anything else is described by its message", () => {
  expect(describeError(new Error("spawn ollama-lsp ENOENT"))).toBe("spawn ollama-lsp ENOENT");
  expect(describeError("plain")).toBe("plain");
  expect(failureKind(new Error("x"))).toBeUndefined();
});

test("an address in the message is code, not a link; one already in code stays as it is", () => {
  const unreachable = { code: -32803, message: "Cannot reach Ollama at http://127.0.0.1:1/ — start it. Set `ollama.baseUrl` otherwise.", data: { kind: "unreachable" } };
  expect(describeError(unreachable)).toBe("Cannot reach Ollama at `http://127.0.0.1:1/` — start it. Set `ollama.baseUrl` otherwise.");
  expect(describeError(new Error("see `https://x.test/a`, or https://y.test/b."))).toBe("see `https://x.test/a`, or `https://y.test/b`.");
});

test("the setting that fixes an error: by its kind, else the one its message names", () => {
  expect(settingToFix({ code: -32803, message: "Cannot reach Ollama", data: { kind: "unreachable" } })).toBe("ollama.baseUrl");
  expect(settingToFix({ code: -32803, message: "refused the key", data: { kind: "unauthorized" } })).toBe("ollama.apiKey");
  expect(settingToFix({ code: -32803, message: "see `ollama.embedded.modelPath`.", data: { kind: "backendError" } })).toBe("ollama.embedded.modelPath");
  expect(settingToFix({ code: -32803, message: "the model broke", data: { kind: "streamError" } })).toBeUndefined();
  expect(settingToFix(new Error("spawn ollama-lsp ENOENT"))).toBeUndefined();
});

test("setting up the embedded model is offered when the server names it as the fix", () => {
  const neither = {
    code: -32803,
    message:
      "Cannot reach Ollama at http://127.0.0.1:11434 — is `ollama serve` running? Set `ollama.baseUrl` otherwise. The embedded model " +
      "(no server needed) cannot run either: llama-cpp-python is not installed — run `ollama-lsp setup-embedded` (in VS Code: “Ollama: Set Up the Embedded Model”).",
    data: { kind: "unreachable" },
  };
  expect(offersEmbeddedSetup(neither)).toBe(true);
  expect(offersEmbeddedSetup({ code: -32803, message: "Cannot reach Ollama at http://127.0.0.1:11434", data: { kind: "unreachable" } })).toBe(false);
  expect(offersEmbeddedSetup(new Error("spawn ollama-lsp ENOENT"))).toBe(false);
});
