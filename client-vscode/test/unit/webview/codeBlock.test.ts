// @vitest-environment jsdom
import { afterEach, expect, test, vi } from "vitest";
import { codeLanguage, frameCodeBlock, showCopied } from "../../../webview/codeBlock";
import { renderMarkdown } from "../../../webview/markdown";

function framed(markdown: string): HTMLElement {
  const body = document.createElement("div");
  body.innerHTML = renderMarkdown(markdown);
  for (const pre of Array.from(body.querySelectorAll("pre"))) frameCodeBlock(pre);
  return body;
}

afterEach(() => vi.useRealTimers());

test("a code block gets one header: its language and icon actions, the code untouched", () => {
  const body = framed("```python\nprint('hi')\n```\n\n```typescript\nconst x = 1;\n```\n");
  const blocks = body.querySelectorAll(".code-block");
  expect(blocks).toHaveLength(2);
  // Each block's own language, not the first one's.
  expect(Array.from(blocks, (block) => block.querySelector(".code-language")?.textContent)).toEqual(["python", "typescript"]);
  expect(Array.from(blocks, (block) => codeLanguage(block))).toEqual(["python", "typescript"]);
  const actions = Array.from(blocks[0].querySelectorAll<HTMLButtonElement>(".code-header button.code-action"));
  expect(actions.map((button) => button.dataset.action)).toEqual(["copy", "insert", "replace", "newFile"]);
  expect(actions.map((button) => button.getAttribute("aria-label"))).toEqual(["Copy", "Insert at Cursor", "Replace Selection", "Open in New File"]);
  // Icons, not words.
  expect(actions.every((button) => button.textContent === "" && button.querySelector(".codicon"))).toBe(true);
  expect(blocks[0].querySelector("pre code")?.textContent).toBe("print('hi')\n");
});

test("a block whose code element has no language class has no language", () => {
  const pre = document.createElement("pre");
  pre.innerHTML = "<code>$ ls -la</code>";
  document.body.append(pre);
  const block = frameCodeBlock(pre);
  expect(codeLanguage(block)).toBeUndefined();
  expect(block.querySelector(".code-language")?.textContent).toBe("");
});

test("Copy says Copied with a check mark, then goes back to its icon", () => {
  vi.useFakeTimers();
  const copy = framed("```\nx\n```\n").querySelector<HTMLButtonElement>("button[data-action=copy]")!;
  showCopied(copy);
  expect(copy.textContent).toBe("Copied");
  expect(copy.querySelector(".codicon-check")).not.toBeNull();
  expect(copy.getAttribute("aria-label")).toBe("Copied");
  vi.advanceTimersByTime(2500);
  expect(copy.textContent).toBe("");
  expect(copy.querySelector(".codicon-copy")).not.toBeNull();
  expect(copy.getAttribute("aria-label")).toBe("Copy");
});
