// @vitest-environment jsdom
import { expect, test } from "vitest";
import { PAST_FAILURE, pastConversation } from "../../../webview/pastConversation";

test("a stored conversation renders as it was: prompts, Markdown answers under their model, a Stopped mark", () => {
  const nodes = pastConversation(document, [
    { role: "user", text: "What is **x**?", interrupted: false, failed: false, model: null },
    { role: "assistant", text: "It is **bold**.\n\n```python\nprint(1)\n```\n", interrupted: false, failed: false, model: "qwen" },
    { role: "user", text: "Tell me more", interrupted: false, failed: false, model: null },
    { role: "assistant", text: "Well, first", interrupted: true, failed: false, model: "llama" },
  ]);
  const root = document.createElement("main");
  root.append(...nodes);
  expect(Array.from(root.querySelectorAll(".turn-label")).map((label) => label.textContent)).toEqual(["You", "qwen", "You", "llama"]);
  // The prompt as typed, not rendered.
  expect(Array.from(root.querySelectorAll(".message.user")).map((turn) => turn.textContent)).toEqual(["What is **x**?", "Tell me more"]);
  const [done, stopped] = Array.from(root.querySelectorAll<HTMLElement>(".message.assistant"));
  expect(done.dataset.status).toBe("done");
  expect(done.querySelector(".answer-body strong")?.textContent).toBe("bold");
  expect(done.querySelector(".code-block pre code")?.textContent).toBe("print(1)\n");
  expect(stopped.dataset.status).toBe("stopped");
  expect(stopped.querySelector(".answer-body")?.textContent?.trim()).toBe("Well, first");
  expect(stopped.querySelector(".answer-status")?.textContent).toBe("Stopped");
  expect(root.querySelectorAll(".cursor")).toHaveLength(0);
});

test("an interrupted answer with no text yet is still marked", () => {
  const [, answer] = pastConversation(document, [{ role: "assistant", text: "", interrupted: true, failed: false, model: "m" }]) as HTMLElement[];
  expect(answer.dataset.status).toBe("stopped");
  expect(answer.querySelector(".answer-status")?.textContent).toBe("Stopped");
});

test("an answer that failed is marked as failed, not stopped, its text kept", () => {
  const [, answer] = pastConversation(document, [{ role: "assistant", text: "half an ", interrupted: true, failed: true, model: "m" }]) as HTMLElement[];
  expect(answer.dataset.status).toBe("error");
  expect(answer.querySelector(".answer-body")?.textContent?.trim()).toBe("half an");
  expect(answer.querySelector(".answer-status .error")?.textContent?.trim()).toBe(PAST_FAILURE);
});
