// @vitest-environment jsdom
// The answer rendered while it streams: finished blocks keep their DOM nodes, code is
// highlighted once when its block is finished, nothing the model writes becomes markup.
import hljs from "highlight.js/lib/common";
import { afterEach, describe, expect, test, vi } from "vitest";
import { AnswerView } from "../../../webview/answerView";

/** An answer whose frames run when the test says so. */
function streamedAnswer(): { answer: AnswerView; body: Element; write: (text: string) => void; finish: (text: string) => void } {
  let callbacks: (() => void)[] = [];
  const answer = new AnswerView(document, (callback) => void callbacks.push(callback));
  document.body.replaceChildren(answer.element);
  let seq = 0;
  let written = "";
  const runFrame = (): void => {
    const due = callbacks;
    callbacks = [];
    due.forEach((callback) => callback());
  };
  return {
    answer,
    body: answer.element.querySelector(".answer-body")!,
    write: (text) => {
      answer.push({ seq: seq++, kind: "content", text });
      written += text;
      runFrame();
    },
    finish: (text = written) => answer.finish({ status: "done", text, thinking: "" }),
  };
}

/** `text` in pieces of 1 to 7 characters, from a fixed seed. */
function pieces(text: string, seed: number): string[] {
  const result: string[] = [];
  let state = seed;
  for (let at = 0; at < text.length; ) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (state % 7);
    result.push(text.slice(at, at + size));
    at += size;
  }
  return result;
}

function oneShot(text: string): string {
  const answer = new AnswerView(document, () => undefined);
  answer.finish({ status: "done", text, thinking: "" });
  return answer.element.querySelector(".answer-body")!.innerHTML;
}

afterEach(() => vi.restoreAllMocks());

describe("streamed rendering", () => {
  test("finished blocks keep the same DOM nodes as more text arrives", () => {
    const { body, write } = streamedAnswer();
    write("First paragraph, finished.\n\n- one\n- two\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n\nSecond paragraph\n");
    const finished = [body.querySelector("p")!, body.querySelector("ul")!, body.querySelector("table")!];
    const firstText = finished[0].firstChild!;
    for (const piece of pieces("grows.\n\n```js\nlet x = 1;\n```\n\nThird **para", 1)) write(piece);
    for (const node of finished) expect(node.isConnected).toBe(true);
    expect(body.querySelector("p")).toBe(finished[0]);
    expect(body.querySelector("p")!.firstChild).toBe(firstText);
    expect(body.querySelector("ul")).toBe(finished[1]);
    expect(body.querySelector("table")).toBe(finished[2]);
    expect(body.querySelectorAll("p")[1].textContent).toBe("Second paragraph\ngrows.");
  });

  test("a selection in a finished paragraph survives more text", () => {
    const { body, write } = streamedAnswer();
    write("Select me please.\n\nThe answer\n");
    const text = body.querySelector("p")!.firstChild!;
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(text, 9);
    document.getSelection()!.removeAllRanges();
    document.getSelection()!.addRange(range);
    for (const piece of pieces("goes on, with more blocks.\n\n- a list\n\n```\ncode\n```\n", 2)) write(piece);
    expect(document.getSelection()!.toString()).toBe("Select me");
    expect(document.getSelection()!.anchorNode).toBe(text);
  });

  test("a fence is highlighted once, when it closes; before that it is plain", () => {
    const highlightCalls = vi.spyOn(hljs, "highlight");
    const guesses = vi.spyOn(hljs, "highlightAuto");
    const { body, write, finish } = streamedAnswer();
    for (const piece of pieces("Code:\n\n```python\ndef f(x):\n    return 1\n", 3)) {
      write(piece);
      expect(body.querySelector("pre code span:not(.cursor)")).toBeNull();
    }
    expect(body.querySelector("pre code.language-python")?.textContent).toContain("return 1");
    expect(highlightCalls).not.toHaveBeenCalled();
    write("```\n");
    expect(highlightCalls).toHaveBeenCalledTimes(1);
    const code = body.querySelector("pre code.language-python")!;
    expect(code.querySelector(".hljs-keyword")?.textContent).toBe("def");
    for (const piece of pieces("\nAfter the code, more text.\n\nAnd more.", 4)) write(piece);
    finish("Code:\n\n```python\ndef f(x):\n    return 1\n```\n\nAfter the code, more text.\n\nAnd more.");
    expect(highlightCalls).toHaveBeenCalledTimes(1);
    expect(body.querySelector("pre code")).toBe(code);
    expect(guesses).not.toHaveBeenCalled();
  });

  test("a fence still open at the end is highlighted when the answer ends", () => {
    const highlightCalls = vi.spyOn(hljs, "highlight");
    const { body, write, finish } = streamedAnswer();
    write("```js\nconst a = 1;\n```");
    expect(highlightCalls).not.toHaveBeenCalled();
    finish("```js\nconst a = 1;\n```");
    expect(highlightCalls).toHaveBeenCalledTimes(1);
    expect(body.querySelector("pre code.language-js .hljs-keyword")?.textContent).toBe("const");
  });

  test("an untagged block stays plain text, never guessed", () => {
    const highlightCalls = vi.spyOn(hljs, "highlight");
    const guesses = vi.spyOn(hljs, "highlightAuto");
    const { body, write, finish } = streamedAnswer();
    const text = "Run:\n\n```\n$ ls -la\ndef end class\n```\n\nDone.";
    for (const piece of pieces(text, 5)) write(piece);
    finish(text);
    const code = body.querySelector("pre code")!;
    expect(code.className).toBe("");
    expect(code.children).toHaveLength(0);
    expect(code.textContent).toBe("$ ls -la\ndef end class\n");
    expect(highlightCalls).not.toHaveBeenCalled();
    expect(guesses).not.toHaveBeenCalled();
  });

  test("every code block is framed once, when it is put into the page", () => {
    const { body, write, finish } = streamedAnswer();
    const text = "```py\nx = 1\n```\n\nText\n\n```\nplain\n```\n";
    for (const piece of pieces(text, 6)) write(piece);
    finish(text);
    expect(body.querySelectorAll(".code-block")).toHaveLength(2);
    for (const block of Array.from(body.querySelectorAll(".code-block"))) {
      expect(block.querySelectorAll("pre")).toHaveLength(1);
      expect(block.parentElement).toBe(body);
    }
  });

  test("hostile Markdown stays inert in every frame", () => {
    const hostile =
      'Look <img src=x onerror="document.body.dataset.pwned=1"> <script>alert(1)</script>\n\n' +
      "[link](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)\n\n" +
      "- <iframe src=x></iframe>\n\n| <b>x</b> | y |\n|---|---|\n| <svg onload=alert(1)> | z |\n\n" +
      "```html\n<img src=y onerror=alert(2)>\n```\n";
    const { answer, body, write, finish } = streamedAnswer();
    const inert = (): void => {
      expect(answer.element.querySelector("img, script, iframe, svg, b, [onerror], [onload]")).toBeNull();
      for (const link of Array.from(body.querySelectorAll("a"))) expect(link.getAttribute("href") ?? "").toMatch(/^(https?:|mailto:|#|$)/);
    };
    for (const piece of pieces(hostile, 7)) {
      write(piece);
      inert();
    }
    finish(hostile);
    inert();
    expect(body.textContent).toContain('<img src=x onerror="document.body.dataset.pwned=1">');
    expect(document.body.dataset.pwned).toBeUndefined();
  });

  test("the final response equal to the stream changes no node", () => {
    const { answer, body, write, finish } = streamedAnswer();
    const text = "Intro.\n\n```ts\nlet a = 1;\n```\n\n1. first\n2. second\n\nThe last paragraph, still open";
    for (const piece of pieces(text, 8)) write(piece);
    const before = Array.from(body.querySelectorAll("*"));
    const lastText = body.querySelectorAll("p")[1].firstChild;
    finish(text);
    expect(answer.element.dataset.streamComplete).toBe("true");
    expect(answer.element.querySelector(".cursor")).toBeNull();
    const after = Array.from(body.querySelectorAll("*"));
    expect(after).toEqual(before.filter((element) => !element.classList.contains("cursor")));
    expect(body.querySelectorAll("p")[1].firstChild).toBe(lastText);
  });

  test("the cursor follows a finished code block, not inside it", () => {
    const { body, write } = streamedAnswer();
    write("```py\nx = 1\n```\n");
    expect(body.querySelector("pre .cursor")).toBeNull();
    expect(body.lastElementChild?.className).toBe("cursor");
    write("Next");
    expect(body.querySelector("p")?.lastElementChild?.className).toBe("cursor");
    expect(body.querySelectorAll(".cursor")).toHaveLength(1);
  });

  test.each([
    ["prose, lists, tables, code", "# Title\n\nSome *prose* with `code` and https://example.com.\n\n- a\n- b\n  - nested\n\n  still b\n\n1. one\n1. two\n\n| h | r |\n|:--|--:|\n| 1 | 2 |\n| 3 | 4 |\n\n```python\nprint(1)\n```\n\n```\nplain\n```\n\n> quote\nlazy line\n\nEnd."],
    ["setext headings and rules", "Heading\n=======\n\nSub\n---\n\ntext\n\n---\n\n***\nafter"],
    ["a table interrupting a paragraph", "para\n| a | b |\n|---|---|\n| 1 | 2 |\nnot a row\n\nnext"],
    ["fences of several kinds", "~~~\ntilde\n~~~\n````md\n```\ninner\n```\n````\n  ```js\n  indented\n  ```\n```\nunclosed to the end"],
    ["a list with code inside", "1. step\n\n   ```sh\n   make\n   ```\n\n2. next\n\n   text\n\nAfter the list."],
    ["a reference defined after its use", "See [the docs][docs].\n\nMore text.\n\n[docs]: https://example.com/docs\n"],
    ["CR LF line ends", "one\r\n\r\n- two\r\n- three\r\n\r\n```\r\nfour\r\n```\r\nfive"],
  ])("streamed in small pieces, the final DOM equals a one-shot render: %s", (_, text) => {
    for (const seed of [11, 12, 13]) {
      const { body, write, finish } = streamedAnswer();
      for (const piece of pieces(text, seed)) write(piece);
      finish(text);
      expect(body.innerHTML).toBe(oneShot(text));
    }
  }, 30_000);
});

/** Lines that change the meaning of lines around them, joined at random. */
const TRICKY_LINES = ["text", "more text", "1. first", "2. next", "1) other", "- item", "- item", "* star", "  continued", "    indented code", "> quote", "===", "---", "| a | b |", "|---|:-:|", "```", "```py", "~~~", "# heading", "[r]: https://example.com", "see [r]", "", ""];

test("random Markdown streamed in random pieces ends as a one-shot render", () => {
  let state = 7;
  const random = (below: number): number => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % below;
  };
  for (let round = 0; round < 60; round++) {
    const text = Array.from({ length: 6 + random(14) }, () => TRICKY_LINES[random(TRICKY_LINES.length)]).join("\n");
    const { body, write, finish } = streamedAnswer();
    for (const piece of pieces(text, round)) write(piece);
    finish(text);
    expect(body.innerHTML, JSON.stringify(text)).toBe(oneShot(text));
  }
}, 60_000);

test("a paragraph is finished as soon as the next one starts; a list only once it cannot go on", () => {
  const { body, write } = streamedAnswer();
  write("First paragraph.\n\nSec");
  const first = body.querySelector("p")!;
  write("ond");
  expect(body.querySelector("p")).toBe(first);
  write(" paragraph.\n\n- item\n\n2");
  const list = body.querySelector("ul")!;
  write(".");
  expect(body.querySelector("ul")).not.toBe(list); // "2." might still have been "- item"'s neighbour
  write(" numbered\n");
  const finishedList = body.querySelector("ul")!;
  write("more");
  expect(body.querySelector("ul")).toBe(finishedList);
  expect(body.querySelector("ol li")?.textContent).toBe("numbered\nmore▊");
});
