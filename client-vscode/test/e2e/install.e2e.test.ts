// A new user's first start: the .vsix installed into a fresh VS Code, `ollama-lsp` nowhere on
// PATH and `ollama.server.path` unset. The extension installs the server it carries (the wheel
// in bundled/) into a private virtual environment, behind a progress notification, and the chat
// works. pip installs the server's libraries from the cached wheelhouse (scripts/wheelhouse.py),
// not from PyPI: the same wheels, without the network.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  artifactsDir,
  chatFrame,
  FakeModelServer,
  openWorkbench,
  pathWithoutServer,
  processesInGroup,
  runCommand,
  wheelhouse,
  words,
  type Workbench,
} from "./environment";

const ANSWER = "Answered by the server that came inside the extension.";
const OLLAMA_DEFAULT_PORT = 11434;

let model: FakeModelServer;
let workbench: Workbench;

beforeAll(async () => {
  // Where Ollama listens by default: the extension is used exactly as installed, no setting
  // touched (a machine running Ollama itself cannot run this test).
  model = await FakeModelServer.start([{ chunks: words(ANSWER), delay_s: 0.01 }], { port: OLLAMA_DEFAULT_PORT });
  workbench = await openWorkbench(
    {},
    {},
    { env: { PATH: pathWithoutServer(), PIP_NO_INDEX: "1", PIP_FIND_LINKS: wheelhouse() }, waitForServer: false },
  );
});

afterAll(async () => {
  await workbench?.stop();
  await model?.process.stop();
});

describe("the server inside the .vsix", () => {
  test("the first start installs it with progress, then the chat answers", async () => {
    const { page } = workbench;
    // The notification once pip runs (what a user watches for most of the install).
    const progress = page.locator(".notifications-toasts", { hasText: "installing the language server (once): pip install" });
    await progress.waitFor({ timeout: 60_000 });
    await page.waitForTimeout(500); // the toast's slide-in animation
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: join(artifactsDir, "first-use-install.png") });

    // The server running is the installed one, from the extension's global storage.
    await expect.poll(() => processesInGroup(workbench.processGroup, "globalStorage").length, { timeout: 300_000, interval: 500 }).toBeGreaterThan(0);
    // The defaults: `backend: "auto"` finds "Ollama" at its default address (said, no warning) and
    // the default model.
    const status = page.locator(".statusbar-item", { hasText: "auto (Ollama) · qwen2.5-coder:1.5b" }).first();
    await status.waitFor({ timeout: 60_000 });
    await expect.poll(() => status.getAttribute("class"), { timeout: 30_000 }).not.toContain("warning-kind");

    await runCommand(page, "Ollama: Open Chat");
    const chat = chatFrame(page);
    const input = chat.locator("#prompt");
    await input.waitFor({ timeout: 30_000 });
    await input.fill("hello");
    await input.press("Enter");
    await expect
      .poll(async () => ((await chat.locator(".message.assistant .answer-body").last().textContent()) ?? "").replace(/▊/g, "").trim(), {
        timeout: 30_000,
      })
      .toBe(ANSWER);
  }, 420_000); // pip's install: about a minute here, more on a busy machine
});
