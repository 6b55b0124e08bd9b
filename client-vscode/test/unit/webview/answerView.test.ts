// @vitest-environment jsdom
import { describe, expect, test } from "vitest";
import { AnswerView } from "../../../webview/answerView";

function view(): { answer: AnswerView; runFrame: () => void; requestedFrames: () => number } {
  let callbacks: (() => void)[] = [];
  let requested = 0;
  const answer = new AnswerView(document, (callback) => {
    requested++;
    callbacks.push(callback);
  });
  document.body.append(answer.element);
  return {
    answer,
    runFrame: () => {
      const due = callbacks;
      callbacks = [];
      due.forEach((callback) => callback());
    },
    requestedFrames: () => requested,
  };
}

const body = (answer: AnswerView): Element => answer.element.querySelector(".answer-body")!;

describe("AnswerView", () => {
  test("deltas show with the next frame, rendered once however many arrived", () => {
    const { answer, runFrame, requestedFrames } = view();
    for (const [seq, text] of ["Hel", "lo ", "**wor", "ld**"].entries()) answer.push({ seq, kind: "content", text });
    expect(body(answer).textContent).toBe("▊");
    expect(requestedFrames()).toBe(1);
    runFrame();
    expect(body(answer).querySelector("strong")?.textContent).toBe("world");
    expect(body(answer).textContent?.replace("▊", "").trim()).toBe("Hello world");
    answer.push({ seq: 4, kind: "content", text: "!" });
    expect(requestedFrames()).toBe(2);
  });

  test("the blinking cursor follows the last text, also inside an unfinished code block", () => {
    const { answer, runFrame } = view();
    answer.push({ seq: 0, kind: "content", text: "Text with **bold** end" });
    runFrame();
    expect(body(answer).querySelector("p")?.lastChild?.textContent).toBe("▊");
    answer.push({ seq: 1, kind: "content", text: "\n\n```python\nx = 1" });
    runFrame();
    expect(body(answer).querySelector("pre code .cursor")).not.toBeNull();
    expect(body(answer).querySelectorAll(".cursor")).toHaveLength(1);
  });

  test("a stream that had every batch is marked complete", () => {
    const { answer } = view();
    answer.push({ seq: 0, kind: "thinking", text: "Hm." });
    answer.push({ seq: 1, kind: "content", text: "All" });
    answer.push({ seq: 2, kind: "content", text: " of it." });
    answer.finish({ status: "done", text: "All of it.", thinking: "Hm." });
    expect(answer.element.dataset.streamComplete).toBe("true");
  });

  test("code blocks get Copy, Insert, Replace and New file", () => {
    const { answer } = view();
    answer.finish({ status: "done", text: "```js\nlet a = 1;\n```\n", thinking: "" });
    const block = body(answer).querySelector(".code-block")!;
    expect(Array.from(block.querySelectorAll("button"), (b) => [b.dataset.action, b.getAttribute("aria-label")])).toEqual([
      ["copy", "Copy"],
      ["insert", "Insert at Cursor"],
      ["replace", "Replace Selection"],
      ["newFile", "Open in New File"],
    ]);
    expect(block.querySelector("code")?.textContent).toBe("let a = 1;\n");
  });

  test("thinking goes into a collapsed section, not into the answer", () => {
    const { answer, runFrame } = view();
    answer.push({ seq: 0, kind: "thinking", text: "Let me see." });
    answer.push({ seq: 1, kind: "content", text: "Yes." });
    runFrame();
    const thinking = answer.element.querySelector("details.thinking") as HTMLDetailsElement;
    expect(thinking.hidden).toBe(false);
    expect(thinking.open).toBe(false);
    expect(thinking.querySelector(".thinking-body")?.textContent).toBe("Let me see.");
    expect(body(answer).textContent).not.toContain("Let me see");
  });

  test("done: the response's text wins, the cursor goes", () => {
    const { answer, runFrame } = view();
    answer.push({ seq: 0, kind: "content", text: "Partial" });
    runFrame();
    answer.finish({ status: "done", text: "Partial and complete.", thinking: "" });
    expect(answer.element.dataset.status).toBe("done");
    expect(answer.element.dataset.streamComplete).toBe("false");
    expect(body(answer).textContent?.trim()).toBe("Partial and complete.");
    expect(answer.element.querySelector(".cursor")).toBeNull();
  });

  test("stopped: the partial answer stays, marked as stopped; later deltas are ignored", () => {
    const { answer } = view();
    answer.push({ seq: 0, kind: "content", text: "Half an ans" });
    answer.finish({ status: "stopped" });
    answer.push({ seq: 1, kind: "content", text: "wer" });
    expect(answer.element.dataset.status).toBe("stopped");
    expect(body(answer).textContent?.trim()).toBe("Half an ans");
    expect(answer.element.querySelector(".answer-status")?.textContent).toBe("Stopped");
    expect(answer.element.querySelector(".cursor")).toBeNull();
  });

  test("errors show their message (with the fix) as sanitized Markdown", () => {
    const { answer } = view();
    answer.finish({ status: "error", message: "Model 'x' is not installed: run `ollama pull x` <img src=y onerror=alert(1)>" });
    const error = answer.element.querySelector(".error")!;
    expect(error.querySelector("code")?.textContent).toBe("ollama pull x");
    expect(error.querySelector("img")).toBeNull();
  });
});
