// Conversation history in a real VS Code (code-server in headless Chromium), with the real
// language server keeping its SQLite history in the test's own data folder: a window reload
// brings the open conversation back and it continues; the history list opens an older one as it
// was and deletes one.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FrameLocator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { artifactsDir, FakeModelServer, ollamaSettings, openChat, openWorkbench, runCommand, words, type Workbench } from "./environment";

const FIRST = { prompt: "FIRST question about parsers", answer: "Parsers read text into a tree." };
const SECOND = { prompt: "SECOND question: and lexers?", answer: "Lexers cut text into tokens." };
const THIRD = { prompt: "THIRD question: which comes first?", answer: "The lexer runs first." };
const STOPPED_PROMPT = "STOP me after a few words";
const NEWER = { prompt: "NEWER conversation, one turn", answer: "A newer answer." };
const LONG_ANSWER = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");

let model: FakeModelServer;
let workbench: Workbench;
let chat: FrameLocator;

async function answerText(answer: ReturnType<FrameLocator["locator"]>): Promise<string> {
  return ((await answer.locator(".answer-body").textContent()) ?? "").replace(/▊/g, "").trim();
}

/** Send a prompt and wait for its answer to end with `status`. */
async function ask(prompt: string, status = "done"): Promise<void> {
  const before = await chat.locator(".message.assistant").count();
  const input = chat.locator("#prompt");
  await input.click();
  await input.fill(prompt);
  await input.press("Enter");
  await expect.poll(() => chat.locator(".message.assistant").count()).toBe(before + 1);
  if (status === "streaming") return;
  await expect.poll(() => chat.locator(".message.assistant").last().getAttribute("data-status"), { timeout: 30_000 }).toBe(status);
}

/** The user turns and answers shown, as [role, text, status]. */
async function shownTurns(frame: FrameLocator): Promise<string[][]> {
  const turns = await frame.locator(".message").all();
  return Promise.all(
    turns.map(async (turn) =>
      (await turn.getAttribute("class"))?.includes("user")
        ? ["user", (await turn.textContent()) ?? ""]
        : ["assistant", await answerText(turn), (await turn.getAttribute("data-status")) ?? ""],
    ),
  );
}

async function reloadWindow(page: Page): Promise<void> {
  const navigated = page.waitForEvent("framenavigated", { predicate: (frame) => frame === page.mainFrame(), timeout: 60_000 });
  await runCommand(page, "Developer: Reload Window");
  await navigated;
  await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  await page.locator(".statusbar-item", { hasText: "test-model" }).first().waitFor({ timeout: 60_000 });
}

/** The history list's rows (titles), once it has loaded `count` of them. */
async function openHistory(page: Page, count: number): Promise<string[]> {
  // The chat view's title bar action, next to New Chat.
  await page.locator(".action-label.codicon-history").first().click();
  const rows = page.locator(".quick-input-list .monaco-list-row");
  await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(count);
  return rows.locator(".label-name").allTextContents();
}

beforeAll(async () => {
  model = await FakeModelServer.start(
    [
      { match: "FIRST", chunks: words(FIRST.answer) },
      { match: "SECOND", chunks: words(SECOND.answer) },
      { match: "THIRD", chunks: words(THIRD.answer) },
      { match: "STOP", chunks: words(LONG_ANSWER), delay_s: 0.05 },
      { match: "NEWER", chunks: words(NEWER.answer) },
    ],
    { logRequests: true },
  );
  workbench = await openWorkbench(ollamaSettings(model), { "main.py": "print('hi')\n" });
  chat = await openChat(workbench.page);
});

afterAll(async () => {
  await workbench?.stop();
  await model?.process.stop();
});

describe("conversation history", () => {
  test("after a window reload the conversation is back in the panel, and the next prompt continues it", async () => {
    await ask(FIRST.prompt);
    await ask(SECOND.prompt);
    // The language server keeps its history in the test's data folder, not in the home folder.
    expect(existsSync(join(workbench.dataHome, "ollama-lsp", "history.sqlite3"))).toBe(true);

    await reloadWindow(workbench.page);
    chat = await openChat(workbench.page);
    const before = [
      ["user", FIRST.prompt],
      ["assistant", FIRST.answer, "done"],
      ["user", SECOND.prompt],
      ["assistant", SECOND.answer, "done"],
    ];
    await expect.poll(() => shownTurns(chat), { timeout: 30_000 }).toEqual(before);
    expect(await chat.locator(".turn-label").allTextContents()).toEqual(["You", "test-model", "You", "test-model"]);

    await ask(THIRD.prompt);
    expect(await shownTurns(chat)).toEqual([...before, ["user", THIRD.prompt], ["assistant", THIRD.answer, "done"]]);
    // The model was sent the earlier turns: the new server process continued the stored conversation.
    const last = model.requestBodies("/api/chat").at(-1) as { messages: { role: string; content: string }[] };
    expect(last.messages.filter(({ role }) => role !== "system").map(({ role, content }) => [role, content])).toEqual([
      ["user", FIRST.prompt],
      ["assistant", FIRST.answer],
      ["user", SECOND.prompt],
      ["assistant", SECOND.answer],
      ["user", THIRD.prompt],
    ]);
  });

  test("the history list opens an older conversation as it was, stopped answer included, and deletes one", async () => {
    const page = workbench.page;
    await runCommand(page, "Ollama: New Chat");
    await expect.poll(() => chat.locator(".message").count()).toBe(0);
    await ask(STOPPED_PROMPT, "streaming");
    await expect.poll(() => answerText(chat.locator(".message.assistant").last()), { timeout: 10_000 }).toMatch(/word10 /);
    await chat.locator("#stop").click();
    await model.waitForDisconnect();
    await expect.poll(() => chat.locator(".message.assistant").last().getAttribute("data-status")).toBe("stopped");
    await runCommand(page, "Ollama: New Chat");
    await ask(NEWER.prompt);

    // Most recent first; the list filters by title as you type.
    expect(await openHistory(page, 3)).toEqual([NEWER.prompt, STOPPED_PROMPT, FIRST.prompt]);
    expect(await page.locator(".quick-input-list .monaco-list-row .label-description").first().textContent()).toMatch(/^just now · 2 messages$/);
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: join(artifactsDir, "history-list.png") });
    await page.locator(".quick-input-widget input").fill("stop me");
    await expect.poll(() => page.locator(".quick-input-list .monaco-list-row .label-name").allTextContents()).toEqual([STOPPED_PROMPT]);
    await page.keyboard.press("Enter");

    await expect.poll(() => chat.locator(".message.user").allTextContents(), { timeout: 15_000 }).toEqual([STOPPED_PROMPT]);
    const answer = chat.locator(".message.assistant");
    expect(await answer.getAttribute("data-status")).toBe("stopped");
    expect(await answer.locator(".answer-status").textContent()).toBe("Stopped");
    expect(await answerText(answer)).toMatch(/^word0 word1 word2 .*word10\b/);
    expect(await chat.locator(".turn-label").allTextContents()).toEqual(["You", "test-model"]);

    // Delete the newer one with its trash button: gone from the list at once, and for good.
    await openHistory(page, 3);
    const newerRow = page.locator(".quick-input-list .monaco-list-row", { hasText: NEWER.prompt });
    await newerRow.hover();
    await newerRow.locator(".action-label.codicon-trash").click();
    await expect.poll(() => page.locator(".quick-input-list .monaco-list-row .label-name").allTextContents()).toEqual([STOPPED_PROMPT, FIRST.prompt]);
    await page.keyboard.press("Escape");
    expect(await openHistory(page, 2)).toEqual([STOPPED_PROMPT, FIRST.prompt]);
    await page.keyboard.press("Escape");
    // The conversation shown was not the deleted one: it stays.
    expect(await chat.locator(".message.user").allTextContents()).toEqual([STOPPED_PROMPT]);
  });
});
