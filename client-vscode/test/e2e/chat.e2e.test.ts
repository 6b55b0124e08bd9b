// The chat panel in a real VS Code (code-server in headless Chromium), with the real language
// server and the fake model server answering at a slow, deterministic cadence.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FrameLocator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { artifactsDir, chatFrame, editorText, FakeModelServer, ollamaSettings, openFile, openWorkbench, runCommand, words, type Workbench } from "./environment";

const STREAMED_ANSWER =
  "Streaming works one word at a time so the panel grows while the model is still writing " +
  "and every intermediate length can be seen by the test before the final text arrives in full " +
  "which must equal the text the server sent word for word without any loss or duplication";
const LONG_ANSWER = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");
const CADENCE_S = 0.05;
const FAST_ANSWER = Array.from({ length: 3000 }, (_, i) => `token${i}`).join(" ");
const MAIN_PY = "# CONTEXT-MARKER-7\ndef main():\n    pass\n";

let model: FakeModelServer;
let workbench: Workbench;
let chat: FrameLocator;

async function answerText(frame: FrameLocator): Promise<string> {
  const text = await frame.locator(".message.assistant .answer-body").last().textContent();
  // Without the cursor, and without the line break markdown-it ends its HTML with.
  return (text ?? "").replace(/▊/g, "").replace(/\n$/, "");
}

async function ask(frame: FrameLocator, prompt: string): Promise<void> {
  const input = frame.locator("#prompt");
  await input.click();
  await input.fill(prompt);
  await input.press("Enter");
  await frame.locator(".message.assistant").last().waitFor();
  await expect.poll(() => frame.locator(".message.user").last().textContent()).toBe(prompt);
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
  ]);
  workbench = await openWorkbench(
    ollamaSettings(model),
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
    await ask(chat, "STOP after a few words");
    const answer = chat.locator(".message.assistant").last();
    await expect.poll(() => answerText(chat), { timeout: 10_000 }).toMatch(/word10 /);
    await expect(chat.locator("#stop").isVisible()).resolves.toBe(true);
    await chat.locator("#stop").click();
    await model.waitForDisconnect();
    await expect.poll(() => answer.getAttribute("data-status")).toBe("stopped");
    expect(await answer.locator(".answer-status").textContent()).toContain("Stopped");
    const stoppedAt = await answerText(chat);
    expect(stoppedAt.length).toBeGreaterThan(0);
    expect(stoppedAt.length).toBeLessThan(LONG_ANSWER.length / 2);
    // Watch for twenty chunk intervals: nothing more arrives.
    const watchUntil = Date.now() + 20 * CADENCE_S * 1000;
    while (Date.now() < watchUntil) expect(await answerText(chat)).toBe(stoppedAt);
    await expect(chat.locator("#stop").isVisible()).resolves.toBe(false);
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
    // The code block is highlighted and has its actions.
    expect(await answer.locator(".code-block pre code .hljs-built_in, .code-block pre code .hljs-string").count()).toBeGreaterThan(0);
    expect(await answer.locator(".code-actions button").allTextContents()).toEqual(["Copy", "Insert", "Replace"]);
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
    await answer.locator(".code-actions button", { hasText: "Insert" }).click();
    await expect.poll(() => editorText(workbench.page)).toBe(`print('inserted')\n${MAIN_PY}`);
  });

  test("New chat clears the conversation and the next answer starts a new one", async () => {
    await chat.locator("#new-chat").click();
    await expect.poll(() => chat.locator(".message").count()).toBe(0);
    await ask(chat, "THINK again");
    await expect.poll(() => chat.locator(".message.assistant").last().getAttribute("data-status")).toBe("done");
    expect(await chat.locator(".message").count()).toBe(2);
  });
});
