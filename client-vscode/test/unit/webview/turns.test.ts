// @vitest-environment jsdom
import { expect, test } from "vitest";
import { answerNotice, renameTurnLabel, turnLabel } from "../../../webview/turns";

test("a turn label is renamed to the model that answered, its icon kept", () => {
  const label = turnLabel(document, "sparkle", "qwen2.5-coder:1.5b");
  const icon = label.firstElementChild;
  renameTurnLabel(label, "SmolLM2-135M-Instruct.Q4_1");
  expect(label.textContent).toBe("SmolLM2-135M-Instruct.Q4_1");
  expect(label.firstElementChild).toBe(icon);
  expect(label.childNodes.length).toBe(2);
});

test("an answer's notice is a quiet note with an icon, its Markdown rendered and sanitized", () => {
  const notice = answerNotice(document, "Forgotten (`ollama.storage.enabled` is off) <img src=x onerror=alert(1)>");
  expect(notice.getAttribute("role")).toBe("note");
  expect(notice.querySelector(".codicon-info")).not.toBeNull();
  expect(notice.querySelector("code")?.textContent).toBe("ollama.storage.enabled");
  expect(notice.querySelector("img")).toBeNull();
  expect(notice.textContent).toContain("Forgotten (ollama.storage.enabled is off)");
});
