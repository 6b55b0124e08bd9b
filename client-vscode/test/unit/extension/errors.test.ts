import { expect, test } from "vitest";
import { describeError, failureKind } from "../../../src/errors";

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
