import { expect, test } from "vitest";
import { backendLabel } from "../../../src/backendLabel";

test("with auto, the status bar says whom it chose once the server said", () => {
  expect(backendLabel("auto", "Ollama", "qwen2.5-coder:1.5b")).toBe("auto (Ollama) · qwen2.5-coder:1.5b");
  expect(backendLabel("auto", "the embedded model", "SmolLM2-135M-Instruct.Q4_1")).toBe("auto (embedded model) · SmolLM2-135M-Instruct.Q4_1");
  expect(backendLabel("auto", undefined, "qwen2.5-coder:1.5b")).toBe("auto · qwen2.5-coder:1.5b");
});

test("a pinned backend is named by the setting alone", () => {
  expect(backendLabel("ollama", "Ollama", "test-model")).toBe("ollama · test-model");
  expect(backendLabel("openai", "the OpenAI-compatible server", "gpt")).toBe("openai · gpt");
});
