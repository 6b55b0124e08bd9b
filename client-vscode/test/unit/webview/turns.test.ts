// @vitest-environment jsdom
import { expect, test } from "vitest";
import { renameTurnLabel, turnLabel } from "../../../webview/turns";

test("a turn label is renamed to the model that answered, its icon kept", () => {
  const label = turnLabel(document, "sparkle", "qwen2.5-coder:1.5b");
  const icon = label.firstElementChild;
  renameTurnLabel(label, "SmolLM2-135M-Instruct.Q4_1");
  expect(label.textContent).toBe("SmolLM2-135M-Instruct.Q4_1");
  expect(label.firstElementChild).toBe(icon);
  expect(label.childNodes.length).toBe(2);
});
