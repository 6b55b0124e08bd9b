// The chat panel in a real VS Code (code-server in headless Chromium), with the real language
// server and the fake model server answering at a slow, deterministic cadence.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FrameLocator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { answerText, artifactsDir, ask, chatFrame, editorText, FakeModelServer, lastAnswerEnds, ollamaSettings, openFile, openWorkbench, runCommand, words, type Workbench } from "./environment";

const STREAMED_ANSWER =
  "Streaming works one word at a time so the panel grows while the model is still writing " +
  "and every intermediate length can be seen by the test before the final text arrives in full " +
  "which must equal the text the server sent word for word without any loss or duplication";
const LONG_ANSWER = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");
const CADENCE_S = 0.05;
const FAST_ANSWER = Array.from({ length: 3000 }, (_, i) => `token${i}`).join(" ");
const MAIN_PY = "# CONTEXT-MARKER-7\ndef main():\n    pass\n";
/** Everything a panel must show well: headings, inline code, a wide aligned table, a quote, a
 * list, code with and without a language, a line longer than the side bar. */
const MARKDOWN_ANSWER = `## Sorting, compared

Here is a **quick** overview: \`sorted()\` returns a new list, \`list.sort()\` sorts in place.

| Algorithm | Average speed | Worst case | Memory | Stable |
|:---|:---:|:---:|---:|:---:|
| Quicksort | Fast | O(n²) | O(log n) | No |
| Mergesort | Predictable | O(n log n) | O(n) | Yes |
| Heapsort | Medium | O(n log n) | O(1) | No |

> Python's own sort is **Timsort**: stable, and fast on data that is already partly sorted.

1. Pick a pivot
2. Partition with \`<\` and \`>=\`
   - recurse on each side

\`\`\`python
def quicksort(items: list[int]) -> list[int]:
    if len(items) <= 1:
        return items
    pivot, *rest = items  # a long comment that runs past the side bar's edge, so the block scrolls
    return quicksort([x for x in rest if x < pivot]) + [pivot] + quicksort([x for x in rest if x >= pivot])
\`\`\`

Run it (no language tag):

\`\`\`
$ python -c "import sorts; print(sorts.quicksort([3, 1, 2]))"
[1, 2, 3]
\`\`\`

#### Summary

Use \`sorted()\` unless you need something special.
`;
/** Screenshot name, theme, and the class VS Code gives the webview's body in it. */
const THEMES = [
  ["light", "Default Light Modern", "vscode-light"],
  ["dark", "Default Dark Modern", "vscode-dark"],
  ["high-contrast", "Default High Contrast", "vscode-high-contrast"],
] as const;

let model: FakeModelServer;
let workbench: Workbench;
let chat: FrameLocator;

/** New chat from the view's title bar: the one place the side bar offers it. */
async function newChat(page: Page): Promise<void> {
  // By role: the view's own (hidden) section header repeats the action.
  await page.locator(".part.sidebar").getByRole("button", { name: "New Chat", exact: true }).click();
  await expect.poll(() => chat.locator(".message").count()).toBe(0);
}

/** The settings editor's search query, and the first setting it shows. */
async function settingsEditorShows(page: Page): Promise<{ query: string; firstSetting: string }> {
  const editor = page.locator(".settings-editor");
  await editor.locator(".setting-item-contents").first().waitFor();
  const query = (await editor.locator(".search-container .view-lines").textContent()) ?? "";
  const first = editor.locator(".setting-item-contents").first();
  const firstSetting = `${await first.locator(".setting-item-category").textContent()}${await first.locator(".setting-item-label").textContent()}`;
  return { query: query.replace(/\u00a0/g, " "), firstSetting };
}

beforeAll(async () => {
  model = await FakeModelServer.start([
    { match: "STREAM", chunks: words(STREAMED_ANSWER), delay_s: CADENCE_S },
    { match: "STOP", chunks: words(LONG_ANSWER), delay_s: CADENCE_S },
    { match: "FAST", chunks: words(FAST_ANSWER), delay_s: 0.001 },
    {
      match: "UNSAFE",
      chunks: ['Look: <img src=x onerror="document.body.dataset.pwned=1"> and ', "[a link](javascript:document.body.dataset.pwned=2)", "\n\n```python\nprint('hi')\n```\n"],
    },
    { match: "THINK", thinking: ["Let me ", "think."], chunks: ["The ", "answer."] },
    { match: "MISSING", status: 404, error: "model 'test-model' not found, try pulling it first" },
    { match: "CONTEXT-MARKER-7", chunks: ["I can see ", "your file."] },
    { match: "CODE please", chunks: ["Here:\n\n```python\n", "print('inserted')\n", "```\n"] },
    { match: "AUTH", status: 401, error: "invalid API key" },
    { match: "MARKDOWN", chunks: words(MARKDOWN_ANSWER), delay_s: 0.002 },
  ]);
  workbench = await openWorkbench(
    { ...ollamaSettings(model), "workbench.colorTheme": "Default Dark Modern" },
    { "main.py": MAIN_PY },
  );
  await runCommand(workbench.page, "Ollama: Open Chat");
  chat = chatFrame(workbench.page);
  await chat.locator("#prompt").waitFor({ timeout: 30_000 });
});

afterAll(async () => {
  await workbench?.stop();
  await model?.process.stop();
});

describe("chat panel", () => {
  test("the model picker is filled from ollama.listModels", async () => {
    await expect.poll(() => chat.locator("#model option").allTextContents(), { timeout: 30_000 }).toContain("qwen2.5-coder:1.5b");
    expect(await chat.locator("#model").inputValue()).toBe("test-model");
  });

  test("the answer grows token by token and ends as the server's text", async () => {
    const page = workbench.page;
    await ask(chat, "STREAM please");
    const answer = chat.locator(".message.assistant").last();
    const lengths = new Set<number>();
    let screenshot = false;
    let cursorSeen = false;
    while ((await answer.getAttribute("data-status")) === "streaming") {
      const text = await answerText(chat);
      lengths.add(text.length);
      if (!screenshot && text.length > STREAMED_ANSWER.length / 3) {
        cursorSeen = (await answer.locator(".cursor").count()) > 0;
        mkdirSync(artifactsDir, { recursive: true });
        await page.screenshot({ path: join(artifactsDir, "chat-mid-stream.png") });
        screenshot = true;
      }
    }
    expect(await answer.getAttribute("data-status")).toBe("done");
    expect(await answer.getAttribute("data-stream-complete")).toBe("true");
    expect(await answerText(chat)).toBe(STREAMED_ANSWER);
    const intermediate = [...lengths].filter((length) => length > 0 && length < STREAMED_ANSWER.length);
    expect(intermediate.length).toBeGreaterThanOrEqual(5);
    expect(screenshot).toBe(true);
    expect(cursorSeen).toBe(true);
    expect(await answer.locator(".cursor").count()).toBe(0);
  });

  test("Stop ends the stream: the model server sees the disconnect, the partial answer stays", async () => {
    const composerBefore = await chat.locator(".composer").boundingBox();
    const sendBox = await chat.locator("#send").boundingBox();
    await ask(chat, "STOP after a few words");
    const answer = chat.locator(".message.assistant").last();
    await expect.poll(() => answerText(chat), { timeout: 10_000 }).toMatch(/word10 /);
    await expect(chat.locator("#stop").isVisible()).resolves.toBe(true);
    // Stop takes Send's place: same box, and the composer does not move or grow.
    expect(await chat.locator("#send").isVisible()).toBe(false);
    expect(await chat.locator("#stop").boundingBox()).toEqual(sendBox);
    expect(await chat.locator(".composer").boundingBox()).toEqual(composerBefore);
    await chat.locator("#stop").click();
    await model.waitForDisconnect();
    await expect.poll(() => answer.getAttribute("data-status")).toBe("stopped");
    expect(await answer.locator(".answer-status").textContent()).toContain("Stopped");
    // Its mark is the codicon font's glyph, not a symbol the UI font may lack.
    expect(await answer.locator(".answer-status").evaluate((status) => getComputedStyle(status, "::before").fontFamily)).toBe("codicon");
    const stoppedAt = await answerText(chat);
    expect(stoppedAt.length).toBeGreaterThan(0);
    expect(stoppedAt.length).toBeLessThan(LONG_ANSWER.length / 2);
    // Watch for twenty chunk intervals: nothing more arrives.
    const watchUntil = Date.now() + 20 * CADENCE_S * 1000;
    while (Date.now() < watchUntil) expect(await answerText(chat)).toBe(stoppedAt);
    await expect(chat.locator("#stop").isVisible()).resolves.toBe(false);
    expect(await chat.locator("#send").boundingBox()).toEqual(sendBox);
    expect(await chat.locator(".composer").boundingBox()).toEqual(composerBefore);
  });

  test("a long, fast answer arrives complete", async () => {
    await ask(chat, "FAST and long");
    const answer = chat.locator(".message.assistant").last();
    await expect.poll(() => answer.getAttribute("data-status"), { timeout: 30_000 }).toBe("done");
    // Every batch made it through the extension into the panel, not only the final response.
    expect(await answer.getAttribute("data-stream-complete")).toBe("true");
    expect(await answerText(chat)).toBe(FAST_ANSWER);
  });

  test("model output cannot run script: raw HTML and javascript: links are neutralised", async () => {
    await ask(chat, "UNSAFE content");
    const answer = chat.locator(".message.assistant").last();
    await expect.poll(() => answer.getAttribute("data-status")).toBe("done");
    expect(await answer.locator("img").count()).toBe(0);
    expect(await answer.locator("a[href^='javascript']").count()).toBe(0);
    expect(await chat.locator("body").getAttribute("data-pwned")).toBeNull();
    // The code block is highlighted and has its header: language and actions.
    expect(await answer.locator(".code-block pre code .hljs-built_in, .code-block pre code .hljs-string").count()).toBeGreaterThan(0);
    expect(await answer.locator(".code-header .code-language").textContent()).toBe("python");
    expect(await answer.locator(".code-actions button").evaluateAll((buttons) => buttons.map((button) => button.getAttribute("aria-label")))).toEqual([
      "Copy",
      "Insert at Cursor",
      "Replace Selection",
      "Open in New File",
    ]);
  });

  test("thinking goes into a collapsed section, not the answer", async () => {
    await ask(chat, "THINK first");
    const answer = chat.locator(".message.assistant").last();
    await expect.poll(() => answer.getAttribute("data-status")).toBe("done");
    expect(await answerText(chat)).toBe("The answer.");
    expect(await answer.locator("details.thinking").getAttribute("open")).toBeNull();
    expect(await answer.locator(".thinking-body").textContent()).toBe("Let me think.");
  });

  test("a server error shows in the conversation with its fix", async () => {
    await ask(chat, "MISSING model");
    const answer = chat.locator(".message.assistant").last();
    await expect.poll(() => answer.getAttribute("data-status")).toBe("error");
    expect(await answer.locator(".error").textContent()).toContain("ollama pull test-model");
  });

  test("an unauthorized error opens the settings at ollama.apiKey; its address is no link", async () => {
    await ask(chat, "AUTH needed");
    const answer = await lastAnswerEnds(chat, "error");
    expect(await answer.locator(".error").textContent()).toContain(model.baseUrl);
    expect(await answer.locator(".error a").count()).toBe(0);
    await answer.locator(".error-action", { hasText: "Open Settings" }).click();
    await expect.poll(() => settingsEditorShows(workbench.page), { timeout: 15_000 }).toEqual({ query: "ollama.apiKey", firstSetting: "Ollama: Api Key" });
    await runCommand(workbench.page, "View: Close Editor");
  });

  test("an unreachable server: Open Settings at ollama.baseUrl, and Retry asks again once it is fixed", async () => {
    // Nothing listens on port 9 of the loopback.
    await workbench.updateSettings({ "ollama.baseUrl": "http://127.0.0.1:9" });
    await runCommand(workbench.page, "Ollama: Open Chat");
    await ask(chat, "STREAM after an error");
    const failed = await lastAnswerEnds(chat, "error");
    expect(await failed.locator(".error").textContent()).toContain("http://127.0.0.1:9");
    expect(await failed.locator(".error a").count()).toBe(0);
    mkdirSync(artifactsDir, { recursive: true });
    await workbench.page.locator(".part.sidebar").screenshot({ path: join(artifactsDir, "chat-error.png") });
    await failed.locator(".error-action", { hasText: "Open Settings" }).click();
    await expect.poll(() => settingsEditorShows(workbench.page), { timeout: 15_000 }).toEqual({ query: "ollama.baseUrl", firstSetting: "Ollama: Base Url" });
    await runCommand(workbench.page, "View: Close Editor");

    await workbench.updateSettings({ "ollama.baseUrl": model.baseUrl });
    await runCommand(workbench.page, "Ollama: Open Chat");
    const turns = await chat.locator(".message.user").count();
    await failed.locator(".error-action", { hasText: "Retry" }).click();
    await expect.poll(() => chat.locator(".message.user").count()).toBe(turns + 1);
    expect(await chat.locator(".message.user").last().textContent()).toBe("STREAM after an error");
    await lastAnswerEnds(chat, "done");
    expect(await answerText(chat)).toBe(STREAMED_ANSWER);
  });

  test("the current file goes to the model as context", async () => {
    await openFile(workbench.page, "main.py");
    await chat.locator("#include-file").check();
    await ask(chat, "What does this file do?");
    const answer = chat.locator(".message.assistant").last();
    await expect.poll(() => answer.getAttribute("data-status")).toBe("done");
    // The fake model server answers this only when the file's text was in the prompt.
    expect(await answerText(chat)).toBe("I can see your file.");
    await chat.locator("#include-file").uncheck();
  });

  test("Insert puts a code block at the cursor of the editor", async () => {
    await ask(chat, "CODE please");
    const answer = chat.locator(".message.assistant").last();
    await expect.poll(() => answer.getAttribute("data-status")).toBe("done");
    await answer.locator(".code-action[data-action=insert]").click();
    await expect.poll(() => editorText(workbench.page)).toBe(`print('inserted')\n${MAIN_PY}`);
  });

  test("Copy puts the code on the clipboard and says Copied", async () => {
    const copy = chat.locator(".message.assistant").last().locator(".code-action[data-action=copy]");
    await copy.click();
    await expect.poll(() => copy.textContent()).toBe("Copied");
    expect(await copy.locator(".codicon-check").count()).toBe(1);
    await expect.poll(() => workbench.page.evaluate(() => navigator.clipboard.readText())).toBe("print('inserted')\n");
    // The feedback goes away by itself.
    await expect.poll(() => copy.textContent(), { timeout: 5000 }).toBe("");
  });

  test("Replace is offered only while the editor has a selection, and replaces it", async () => {
    const replace = chat.locator(".message.assistant").last().locator(".code-action[data-action=replace]");
    await openFile(workbench.page, "main.py");
    await expect.poll(() => replace.isVisible()).toBe(false);
    await workbench.page.locator(".editor-instance .monaco-editor .view-lines").first().click();
    await workbench.page.keyboard.press("Control+A");
    await expect.poll(() => replace.isVisible()).toBe(true);
    await replace.click();
    await expect.poll(() => editorText(workbench.page)).toBe("print('inserted')\n");
    await workbench.page.locator(".editor-instance .monaco-editor .view-lines").first().click();
    await workbench.page.keyboard.press("Control+Z");
    await expect.poll(() => editorText(workbench.page)).toBe(`print('inserted')\n${MAIN_PY}`);
  });

  test("New file opens the code in an untitled editor of its language", async () => {
    await chat.locator(".message.assistant").last().locator(".code-action[data-action=newFile]").click();
    await workbench.page.locator(".tab.active", { hasText: "Untitled" }).waitFor();
    await expect.poll(() => editorText(workbench.page)).toBe("print('inserted')\n");
    await expect.poll(() => workbench.page.locator("#status\\.editor\\.mode").textContent()).toBe("Python");
    await runCommand(workbench.page, "View: Revert and Close Editor");
  });

  test("opening the chat puts the focus in the prompt, by command and by its key (Ctrl+Alt+J)", async () => {
    const page = workbench.page;
    for (const open of [() => runCommand(page, "Ollama: Open Chat"), () => page.keyboard.press("Control+Alt+J")]) {
      await openFile(page, "main.py");
      await page.locator(".editor-instance .monaco-editor .view-lines").first().click();
      await open();
      await expect.poll(() => chat.locator("#prompt").evaluate((prompt) => document.hasFocus() && document.activeElement === prompt)).toBe(true);
      await page.keyboard.type("typed after opening");
      await expect.poll(() => chat.locator("#prompt").inputValue()).toBe("typed after opening");
      await chat.locator("#prompt").fill("");
    }
    // Nothing went into the file.
    expect(await editorText(page)).toBe(`print('inserted')\n${MAIN_PY}`);
  });

  test("New chat (in the view's title bar only) clears the conversation and the next answer starts a new one", async () => {
    expect(await chat.locator("#new-chat").count()).toBe(0);
    await newChat(workbench.page);
    // The empty state is back, with its example prompts.
    await chat.locator(".empty-state").waitFor();
    await ask(chat, "THINK again");
    await expect.poll(() => chat.locator(".message.assistant").last().getAttribute("data-status")).toBe("done");
    expect(await chat.locator(".message").count()).toBe(2);
    // Turns are labelled: "You" and the model's name.
    expect(await chat.locator(".turn-label").allTextContents()).toEqual(["You", "test-model"]);
  });

  test("an example prompt fills the prompt and ticks its context", async () => {
    await newChat(workbench.page);
    mkdirSync(artifactsDir, { recursive: true });
    await workbench.page.locator(".part.sidebar").screenshot({ path: join(artifactsDir, "chat-empty.png") });
    const example = chat.locator(".example-prompt", { hasText: "Find bugs in the current file" });
    await example.click();
    expect(await chat.locator("#prompt").inputValue()).toBe("Find bugs in the current file");
    expect(await chat.locator("#include-file").isChecked()).toBe(true);
    expect(await chat.locator("#prompt").evaluate((prompt) => prompt === document.activeElement)).toBe(true);
    await chat.locator("#prompt").fill("");
    await chat.locator("#include-file").uncheck();
  });

  test("screenshots of a long Markdown answer in a light, a dark and a high-contrast theme", async () => {
    const page = workbench.page;
    await newChat(page);
    await ask(chat, "MARKDOWN answer");
    const answer = await lastAnswerEnds(chat, "done");
    // The wide table scrolls sideways instead of breaking its words.
    const table = answer.locator("table");
    expect(await table.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
    expect(await table.locator("th").allTextContents()).toContain("Average speed");
    expect(await table.locator("th").evaluateAll((cells) => cells.map((cell) => getComputedStyle(cell).textAlign))).toEqual(["left", "center", "center", "right", "center"]);
    // So does the long code line; the untagged block has no language label.
    const pres = answer.locator(".code-block pre");
    expect(await pres.first().evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
    // Each header names its block's language as the renderer tagged it (an untagged block: none).
    expect(await answer.locator(".code-language").first().textContent()).toBe("python");
    const labels = await answer.locator(".code-block").evaluateAll((blocks) =>
      blocks.map((block) => [block.querySelector(".code-language")?.textContent, /language-(\S+)/.exec(block.querySelector("pre code")?.className ?? "")?.[1] ?? ""]),
    );
    expect(labels).toHaveLength(2);
    for (const [label, tagged] of labels) expect(label).toBe(tagged);
    // Tall enough for the whole answer.
    await page.setViewportSize({ width: 1400, height: 1900 });
    await chat.locator("#conversation").evaluate((conversation) => (conversation.scrollTop = 0));
    mkdirSync(artifactsDir, { recursive: true });
    for (const [name, theme, bodyClass] of THEMES) {
      await runCommand(page, "Preferences: Color Theme");
      const input = page.locator(".quick-input-widget input");
      await input.fill(theme);
      await page.locator(".quick-input-list .monaco-list-row", { hasText: theme }).first().click();
      await expect.poll(() => chat.locator("body").evaluate((body, wanted) => body.classList.contains(wanted), bodyClass)).toBe(true);
      await page.locator(".part.sidebar").screenshot({ path: join(artifactsDir, `chat-${name}.png`) });
    }
    await page.setViewportSize({ width: 1400, height: 900 });
  });
});
