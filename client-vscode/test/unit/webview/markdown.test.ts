// @vitest-environment jsdom
import { describe, expect, test } from "vitest";
import { renderMarkdown } from "../../../webview/markdown";

function render(text: string): HTMLElement {
  const container = document.createElement("div");
  container.innerHTML = renderMarkdown(text);
  return container;
}

describe("renderMarkdown", () => {
  test("renders Markdown with highlighted fenced code", () => {
    const html = render("# Title\n\nSome **bold** and `code`.\n\n```python\ndef f(x):\n    return 'x'\n```\n");
    expect(html.querySelector("h1")?.textContent).toBe("Title");
    expect(html.querySelector("strong")?.textContent).toBe("bold");
    const code = html.querySelector("pre code.language-python");
    expect(code?.textContent).toBe("def f(x):\n    return 'x'\n");
    expect(code?.querySelector(".hljs-keyword")?.textContent).toBe("def");
    expect(code?.querySelector(".hljs-string")?.textContent).toBe("'x'");
  });

  test("an unfinished fence (mid-stream) still renders as code", () => {
    const html = render("Here:\n\n```js\nconst a = 1;\nconst b");
    expect(html.querySelector("pre code")?.textContent).toBe("const a = 1;\nconst b");
  });

  test.each([
    ['<img src=x onerror="alert(1)">', "img"],
    ["<script>alert(1)</script>", "script"],
    ['<a href="javascript:alert(1)">x</a>', "a"],
    ["<iframe src=x></iframe>", "iframe"],
  ])("raw HTML from the model is text, not markup: %s", (input, tag) => {
    const html = render(input);
    expect(html.querySelector(tag)).toBeNull();
    expect(html.textContent).toContain(input);
  });

  test.each(["[x](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](data:text/html;base64,PHNjcmlwdD4=)", "[x](vbscript:msgbox)"])(
    "dangerous link targets are dropped: %s",
    (input) => {
      const html = render(input);
      for (const link of Array.from(html.querySelectorAll("a"))) {
        expect(link.getAttribute("href") ?? "").toMatch(/^(https?:|mailto:|#|$)/);
      }
    },
  );

  test("ordinary links and autolinks stay", () => {
    const html = render("See [docs](https://example.com/a) or https://example.org.");
    expect(Array.from(html.querySelectorAll("a"), (a) => a.getAttribute("href"))).toEqual(["https://example.com/a", "https://example.org"]);
  });

  test("unknown code languages render as plain text", () => {
    const html = render("```nosuchlang\n<b>x</b>\n```");
    expect(html.querySelector("pre code.language-nosuchlang")?.textContent).toBe("<b>x</b>\n");
    expect(html.querySelector("pre code")?.children).toHaveLength(0);
    expect(html.querySelector("b")).toBeNull();
  });

  test("a block without a language is plain text, not guessed", () => {
    const html = render("```\n$ ls\ndef class end\n```");
    const code = html.querySelector("pre code")!;
    expect(code.className).toBe("");
    expect(code.children).toHaveLength(0);
    expect(code.textContent).toBe("$ ls\ndef class end\n");
  });
});
