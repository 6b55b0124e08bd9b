// The chat panel while a long answer streams, in a real VS Code (code-server in headless
// Chromium): text of a finished paragraph can be selected and stays selected as tokens arrive,
// and how long a token takes from the fake model server's write to the webview's DOM.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Frame, FrameLocator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { artifactsDir, FakeModelServer, ollamaSettings, openChat, openWorkbench, words, type Workbench } from "./environment";

const FIRST_PARAGRAPH = "Select this finished paragraph while the answer goes on.";
/** Numbered tokens `t0`…, twenty to a paragraph: the DOM shows which one arrived when. */
function numberedTokens(count: number): string {
  return Array.from({ length: count }, (_, i) => `t${i}`)
    .map((token, i) => (i > 0 && i % 20 === 0 ? `\n\n${token}` : token))
    .join(" ")
    .replace(/ \n/g, "\n");
}
const SELECT_ANSWER = `${FIRST_PARAGRAPH}\n\n${numberedTokens(400)}`;
const LATENCY_TOKENS = 300;
const LATENCY_ANSWER = numberedTokens(LATENCY_TOKENS);
const CADENCE_S = 0.02;

let model: FakeModelServer;
let workbench: Workbench;
let chat: FrameLocator;

/** The chat webview's own document, to run code in (two iframes deep). */
async function chatDocument(page: Page): Promise<Frame> {
  const outer = await page.locator("iframe.webview.ready").elementHandle();
  const inner = await (await outer!.contentFrame())!.locator("#active-frame").elementHandle();
  return (await inner!.contentFrame())!;
}

async function ask(prompt: string): Promise<void> {
  await chat.locator("#prompt").fill(prompt);
  await chat.locator("#prompt").press("Enter");
  await expect.poll(() => chat.locator(".message.user").last().textContent()).toBe(prompt);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

beforeAll(async () => {
  model = await FakeModelServer.start(
    [
      { match: "SELECT", chunks: words(SELECT_ANSWER), delay_s: CADENCE_S },
      { match: "LATENCY", chunks: words(LATENCY_ANSWER), delay_s: CADENCE_S },
    ],
    { logChunks: true },
  );
  workbench = await openWorkbench(ollamaSettings(model), {});
  chat = await openChat(workbench.page);
});

afterAll(() => Promise.all([workbench?.stop(), model?.process.stop()]));

describe("chat panel while an answer streams", () => {
  test("a finished paragraph can be selected, and stays selected as more tokens arrive", async () => {
    await ask("SELECT some text");
    const answer = chat.locator(".message.assistant").last();
    // The second paragraph has started: the first one is finished.
    await expect.poll(() => answer.locator(".answer-body p").count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await answer.locator(".answer-body p").first().click({ clickCount: 3 });
    const frame = await chatDocument(workbench.page);
    const selected = () => frame.evaluate(() => document.getSelection()?.toString().trim() ?? "");
    expect(await selected()).toBe(FIRST_PARAGRAPH);
    const paragraphs = await answer.locator(".answer-body p").count();
    // Three more paragraphs' worth of tokens.
    await expect.poll(() => answer.locator(".answer-body p").count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(paragraphs + 3);
    expect(await answer.getAttribute("data-status")).toBe("streaming");
    expect(await selected()).toBe(FIRST_PARAGRAPH);
    await expect.poll(() => answer.getAttribute("data-status"), { timeout: 60_000 }).toBe("done");
    expect(await answer.getAttribute("data-stream-complete")).toBe("true");
    expect(await selected()).toBe(FIRST_PARAGRAPH);
  });

  test("every token reaches the webview's DOM (token-to-DOM latency is reported)", async () => {
    const frame = await chatDocument(workbench.page);
    // Record when each numbered token first shows in the newest answer.
    await frame.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { tokenSeenAt: number[] }).tokenSeenAt = seen;
      const earlierAnswers = document.querySelectorAll(".message.assistant").length;
      new MutationObserver(() => {
        const text = document.querySelectorAll(".message.assistant .answer-body")[earlierAnswers]?.textContent ?? "";
        const numbers = Array.from(text.matchAll(/\bt(\d+)\b/g), (match) => Number(match[1]));
        const now = Date.now();
        for (let token = seen.length; token <= Math.max(-1, ...numbers); token++) seen[token] = now;
      }).observe(document.getElementById("conversation")!, { childList: true, subtree: true, characterData: true });
    });
    const chunksBefore = model.chunkTimes.length;
    await ask("LATENCY please");
    const answer = chat.locator(".message.assistant").last();
    await expect.poll(() => answer.getAttribute("data-status"), { timeout: 60_000 }).toBe("done");
    expect(await answer.getAttribute("data-stream-complete")).toBe("true");
    const seenAt = await frame.evaluate(() => (window as unknown as { tokenSeenAt: number[] }).tokenSeenAt);
    expect(seenAt).toHaveLength(LATENCY_TOKENS);

    // Chunk i of the answer is token t(i-1); the server logs the count sent after each write.
    const written = model.chunkTimes.slice(chunksBefore);
    const writtenAt = (chunk: number): number => written.find(([sent]) => sent >= chunk)![1];
    const latencies = seenAt.map((at, token) => at - writtenAt(token + 1));
    const figures = { tokens: latencies.length, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99), max_ms: Math.max(...latencies) };
    console.log(`token to DOM: p50 ${figures.p50_ms.toFixed(1)} ms, p99 ${figures.p99_ms.toFixed(1)} ms, max ${figures.max_ms.toFixed(1)} ms over ${figures.tokens} tokens`);
    mkdirSync(artifactsDir, { recursive: true });
    writeFileSync(join(artifactsDir, "token-to-dom.json"), JSON.stringify(figures, null, 2));
  });
});
