// Conversation history in a real VS Code (code-server in headless Chromium), with the real
// language server keeping its SQLite history in the test's own data folder: a window reload
// brings the open conversation back and it continues; the history list opens an older one as it
// was and deletes one.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FrameLocator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { artifactsDir, FakeModelServer, ollamaSettings, openChat, openWorkbench, repoRoot, runCommand, words, type Workbench } from "./environment";

const FIRST = { prompt: "FIRST question about parsers", answer: "Parsers read text into a tree." };
const SECOND = { prompt: "SECOND question: and lexers?", answer: "Lexers cut text into tokens." };
const THIRD = { prompt: "THIRD question: which comes first?", answer: "The lexer runs first." };
const STOPPED_PROMPT = "STOP me after a few words";
const NEWER = { prompt: "NEWER conversation, one turn", answer: "A newer answer." };
const ELSEWHERE = { prompt: "ELSEWHERE: a question asked in another project", answer: "Asked elsewhere." };
const LONG_ANSWER = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");

let model: FakeModelServer;
let workbench: Workbench;
let chat: FrameLocator;

async function answerText(answer: ReturnType<FrameLocator["locator"]>): Promise<string> {
  return ((await answer.locator(".answer-body").textContent()) ?? "").replace(/▊/g, "").trim();
}

/** Send a prompt and wait for its answer to end with `status`. Its answer is the one past those
 * shown now: the panel must be settled (after New Chat, see `newChat`). */
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

/** New Chat, then wait for the panel to empty: the command returns once picked in the palette,
 * before the panel is cleared, and an answer counted before that would be taken for the next. */
async function newChat(page: Page): Promise<void> {
  await runCommand(page, "Ollama: New Chat");
  await expect.poll(() => chat.locator(".message").count()).toBe(0);
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

/** A conversation held in another folder, by the terminal client, in the same history file. */
function chatInAnotherProject(prompt: string): string {
  const project = mkdtempSync(join(tmpdir(), "other-project-"));
  const args = ["chat", prompt, "--backend", "ollama", "--base-url", model.baseUrl, "--model", "test-model"];
  execFileSync(join(repoRoot, ".venv/bin/ollama-lsp"), args, { cwd: project, env: { ...process.env, XDG_DATA_HOME: workbench.dataHome }, timeout: 60_000 });
  return project;
}

const historyRows = (page: Page) => page.locator(".quick-input-list .monaco-list-row");

/** Open the history list and expect it to show `expected` (see `shownHistory`). */
async function openHistory(page: Page, expected: string[]): Promise<void> {
  // The chat view's title bar action, next to New Chat.
  await page.locator(".action-label.codicon-history").first().click();
  await expect.poll(() => shownHistory(page), { timeout: 15_000 }).toEqual(expected);
}

/** What the history list shows: each title (with its folder when it is another workspace's),
 * each group heading as "# heading". */
function shownHistory(page: Page): Promise<string[]> {
  return historyRows(page).evaluateAll((rows) =>
    rows
      // The list reuses and positions its rows: their order is their index, not the DOM's.
      .sort((a, b) => Number(a.getAttribute("data-index")) - Number(b.getAttribute("data-index")))
      .flatMap((row) => {
        // Only what shows: a reused row keeps the parts it hides. A group's heading shows at
        // the right of its first row, the detail (the folder) under the title.
        const shown = (selector: string): string | undefined => {
          const element = row.querySelector(selector);
          return element?.checkVisibility() && element.textContent ? element.textContent : undefined;
        };
        const heading = shown(".quick-input-list-separator");
        const title = shown(".monaco-icon-name-container .label-name") ?? "";
        const folder = shown(".quick-input-list-label-meta .label-name");
        return [...(heading ? [`# ${heading}`] : []), folder ? `${title} (${folder})` : title];
      }),
  );
}

beforeAll(async () => {
  model = await FakeModelServer.start(
    [
      { match: "FIRST", chunks: words(FIRST.answer) },
      { match: "SECOND", chunks: words(SECOND.answer) },
      { match: "THIRD", chunks: words(THIRD.answer) },
      { match: "STOP", chunks: words(LONG_ANSWER), delay_s: 0.05 },
      { match: "NEWER", chunks: words(NEWER.answer) },
      { match: "ELSEWHERE", chunks: words(ELSEWHERE.answer) },
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
    await newChat(page);
    await ask(STOPPED_PROMPT, "streaming");
    await expect.poll(() => answerText(chat.locator(".message.assistant").last()), { timeout: 10_000 }).toMatch(/word10 /);
    await chat.locator("#stop").click();
    await model.waitForDisconnect();
    await expect.poll(() => chat.locator(".message.assistant").last().getAttribute("data-status")).toBe("stopped");
    await newChat(page);
    await ask(NEWER.prompt);

    const project = chatInAnotherProject(ELSEWHERE.prompt);

    // This workspace's first, most recent first; the list filters by title as you type.
    const beforeDelete = ["# This workspace", NEWER.prompt, STOPPED_PROMPT, FIRST.prompt, "# Other workspaces", `${ELSEWHERE.prompt} (${project})`];
    await openHistory(page, beforeDelete);
    expect(await historyRows(page).filter({ hasText: FIRST.prompt }).locator(".label-description").textContent()).toBe("just now · 6 messages");
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: join(artifactsDir, "history-list.png") });
    await page.locator(".quick-input-widget input").fill("stop me");
    await expect.poll(() => shownHistory(page)).toEqual([STOPPED_PROMPT]);
    await page.keyboard.press("Enter");

    await expect.poll(() => chat.locator(".message.user").allTextContents(), { timeout: 15_000 }).toEqual([STOPPED_PROMPT]);
    const answer = chat.locator(".message.assistant");
    expect(await answer.getAttribute("data-status")).toBe("stopped");
    expect(await answer.locator(".answer-status").textContent()).toBe("Stopped");
    expect(await answerText(answer)).toMatch(/^word0 word1 word2 .*word10\b/);
    expect(await chat.locator(".turn-label").allTextContents()).toEqual(["You", "test-model"]);

    // Delete the newer one with its trash button: gone from the list at once, and for good.
    await openHistory(page, beforeDelete);
    const newerRow = page.locator(".quick-input-list .monaco-list-row", { hasText: NEWER.prompt });
    await newerRow.hover();
    await newerRow.locator(".action-label.codicon-trash").click();
    const afterDelete = ["# This workspace", STOPPED_PROMPT, FIRST.prompt, "# Other workspaces", `${ELSEWHERE.prompt} (${project})`];
    await expect.poll(() => shownHistory(page)).toEqual(afterDelete);
    await page.keyboard.press("Escape");
    await openHistory(page, afterDelete);
    // The conversation shown was not the deleted one: it stays.
    expect(await chat.locator(".message.user").allTextContents()).toEqual([STOPPED_PROMPT]);

    // Deleting the conversation shown starts a new chat rather than continue a deleted one.
    const stoppedRow = page.locator(".quick-input-list .monaco-list-row", { hasText: STOPPED_PROMPT });
    await stoppedRow.hover();
    await stoppedRow.locator(".action-label.codicon-trash").click();
    await expect.poll(() => shownHistory(page)).toEqual(["# This workspace", FIRST.prompt, "# Other workspaces", `${ELSEWHERE.prompt} (${project})`]);
    await page.keyboard.press("Escape");
    await expect.poll(() => chat.locator(".message").count()).toBe(0);
  });

  test("a chat in an editor tab has its own history button: the conversation chosen opens in that tab", async () => {
    const page = workbench.page;
    await runCommand(page, "Ollama: Open Chat in Editor");
    const webviews = page.frameLocator("iframe.webview.ready");
    const [sideBar, tab] = [webviews.first(), webviews.last()].map((webview) => webview.frameLocator("#active-frame"));
    await tab.locator("#show-history").click();
    await expect.poll(() => shownHistory(page), { timeout: 15_000 }).toContain(FIRST.prompt);
    await page.locator(".quick-input-list .monaco-list-row", { hasText: FIRST.prompt }).click();
    await expect.poll(() => tab.locator(".message.user").first().textContent(), { timeout: 15_000 }).toBe(FIRST.prompt);
    // The side bar's chat is left as it was.
    expect(await sideBar.locator(".message").count()).toBe(0);
  });
});
