// A conversation the server forgot (memory holds one conversation, storage is off): continuing it,
// the chat says above the answer that the model answered the prompt alone, and why.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { FrameLocator, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { artifactsDir, ask, FakeModelServer, lastAnswerEnds, ollamaSettings, openChat, openWorkbench, runCommand, type Workbench } from "./environment";

let model: FakeModelServer;
let workbench: Workbench;

/** The chat webviews' documents: the side bar's is made first. */
function chatFrame(page: Page, which: "sideBar" | "editor"): FrameLocator {
  const webviews = page.frameLocator("iframe.webview.ready");
  return (which === "sideBar" ? webviews.first() : webviews.last()).frameLocator("#active-frame");
}

/** The messages the model was sent for the last chat. */
function lastMessages(): { role: string; content: string }[] {
  const bodies = model.requestBodies("/api/chat") as { messages: { role: string; content: string }[] }[];
  return bodies.at(-1)?.messages ?? [];
}

beforeAll(async () => {
  model = await FakeModelServer.start([{ chunks: ["Answered."] }], { logRequests: true });
  workbench = await openWorkbench({ ...ollamaSettings(model), "ollama.chat.maxConversations": 1, "ollama.storage.enabled": false }, {});
});

afterAll(async () => {
  await workbench?.stop();
  await model?.process.stop();
});

test("continuing a conversation the server forgot: a notice above the answer says the model answered the prompt alone, and why", async () => {
  const page = workbench.page;
  await openChat(page);
  const sideBar = chatFrame(page, "sideBar");
  await ask(sideBar, "first question");
  await lastAnswerEnds(sideBar, "done");
  await ask(sideBar, "second question");
  await lastAnswerEnds(sideBar, "done");
  expect(lastMessages().map((m) => m.content)).toEqual([expect.any(String), "first question", "Answered.", "second question"]);
  expect(await sideBar.locator(".answer-notice").count()).toBe(0);

  // Another conversation in an editor tab: the server holds one, the side bar's is forgotten.
  await runCommand(page, "Ollama: Open Chat in Editor");
  const editor = chatFrame(page, "editor");
  await editor.locator("#prompt").waitFor({ timeout: 30_000 });
  await ask(editor, "elsewhere");
  await lastAnswerEnds(editor, "done");
  expect(await editor.locator(".answer-notice").count()).toBe(0);

  await ask(sideBar, "third question");
  const answer = await lastAnswerEnds(sideBar, "done");
  expect(lastMessages().map((m) => m.role)).toEqual(["system", "user"]);
  const notice = sideBar.locator(".answer-notice");
  await expect.poll(() => notice.count()).toBe(1);
  expect((await notice.textContent())?.trim()).toBe(
    "The earlier turns of this conversation were forgotten (the server keeps only the last conversation used in memory, ollama.chat.maxConversations, and ollama.storage.enabled is off): the model answered this prompt alone.",
  );
  // Above the answer it is about, after the prompt.
  expect(await notice.evaluate((element) => element.previousElementSibling?.textContent)).toBe("third question");
  expect(await notice.evaluate((element) => element.nextElementSibling?.classList.contains("turn-label"))).toBe(true);
  expect(await answer.locator(".answer-body").textContent()).toContain("Answered.");
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: join(artifactsDir, "chat-forgotten.png") });

  // The conversation is held again from this prompt: the next one sees it, without a notice.
  await ask(sideBar, "fourth question");
  await lastAnswerEnds(sideBar, "done");
  expect(lastMessages().map((m) => m.content).slice(1)).toEqual(["third question", "Answered.", "fourth question"]);
  expect(await notice.count()).toBe(1);
});
