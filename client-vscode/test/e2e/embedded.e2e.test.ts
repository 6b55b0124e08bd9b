// A user without Ollama: the .vsix's own server (installed on first use), nothing listening at
// `ollama.baseUrl`. The chat's error offers “Set Up the Embedded Model”; it runs
// `ollama-lsp setup-embedded` in that server's environment behind a progress notification (the
// engine's wheel and the model come from the cache the README's set-up filled, as on a machine
// where it ran before), restarts the server, and the same question, retried, is answered by the
// real embedded model. After an upgrade (a new server environment) the embedded model is set up
// again by itself.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SETUP_DONE_MARKER } from "../../src/protocol";
import {
  answerText,
  artifactsDir,
  ask,
  notification,
  openChat,
  openWorkbench,
  pathWithoutServer,
  processesInGroup,
  runCommand,
  wheelhouse,
  type Workbench,
} from "./environment";

let workbench: Workbench;

/** Whether process `pid` is `ollama-lsp setup-embedded` or one it started (pip, python). */
function isSetUp(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes("setup-embedded") || cmdline.includes("pip");
  } catch {
    return false;
  }
}

beforeAll(async () => {
  workbench = await openWorkbench(
    // Nothing listens on port 9 of the loopback: "auto" finds no Ollama.
    { "ollama.backend": "auto", "ollama.baseUrl": "http://127.0.0.1:9" },
    {},
    // The server's libraries from the wheelhouse; the engine's few (numpy, jinja2, …) from the index.
    { env: { PATH: pathWithoutServer(), PIP_FIND_LINKS: wheelhouse() }, waitForServer: false },
  );
});

afterAll(async () => {
  await workbench?.stop();
});

describe("the embedded model, set up from VS Code", () => {
  test("the chat's error offers the set-up; it runs with progress, and the retried question is answered", async () => {
    const { page } = workbench;
    // The chat opens while the server is still being installed, and the question waits for it.
    const chat = await openChat(page);
    await ask(chat, "Write a Python function that reverses a string.");
    const failed = chat.locator(".message.assistant").last();
    await expect.poll(() => failed.getAttribute("data-status"), { timeout: 300_000, interval: 500 }).toBe("error");
    expect(await failed.locator(".error").textContent()).toContain("ollama-lsp setup-embedded");
    const setUp = failed.locator(".error-action", { hasText: "Set Up the Embedded Model" });
    const progress = page.locator(".notifications-toasts", { hasText: "setting up the embedded model" });
    const running = (): number[] => processesInGroup("any", `${workbench.userDir}/User/globalStorage`).filter((pid) => isSetUp(pid));

    // Cancel stops it: the set-up and what it started (pip) end, and the user is told.
    await setUp.click();
    await progress.locator(".monaco-button", { hasText: "Cancel" }).click({ timeout: 30_000 });
    await notification(page, "Setting up the embedded model was stopped").waitFor({ timeout: 30_000 });
    await expect.poll(running, { timeout: 10_000 }).toEqual([]);

    // Again, to the end.
    await setUp.click();
    await progress.waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500); // the toast's slide-in animation
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: join(artifactsDir, "embedded-setup.png") });

    const ready = page.locator(".notifications-toasts", { hasText: "The embedded model is ready" });
    await ready.waitFor({ timeout: 600_000 });
    expect(await ready.textContent()).toContain("ollama pull");

    // The restarted server has the engine: the same question, retried, streams from the model.
    await failed.locator(".error-action", { hasText: "Retry" }).click();
    const answer = chat.locator(".message.assistant").last();
    // Loading the model and a whole answer on 2 busy cores: more than a fake server's 30 s.
    await expect.poll(() => answer.getAttribute("data-status"), { timeout: 180_000, interval: 500 }).toBe("done");
    expect((await answerText(chat)).length).toBeGreaterThan(0);
    expect(await chat.locator(".turn-label").last().textContent()).toContain("SmolLM2");
    // Who answers is said where the user looks: the status bar and the chat's model list.
    await page.locator(".statusbar-item", { hasText: "auto (embedded model) · SmolLM2-135M-Instruct.Q4_1" }).first().waitFor({ timeout: 30_000 });
    await expect.poll(() => chat.locator("#model option").allTextContents()).toEqual(["SmolLM2-135M-Instruct.Q4_1"]);
  }, 900_000);

  test("an upgraded extension's new server gets the embedded model again, by itself", async () => {
    const { page } = workbench;
    // An upgrade brings another wheel: its environment has another name. Here the current one is
    // renamed, as if an earlier version had made it.
    const servers = join(workbench.userDir, "User/globalStorage/ollama-lsp.ollama-lsp/server");
    const [current] = readdirSync(servers);
    renameSync(join(servers, current), join(servers, "venv-earlier"));
    await runCommand(page, "Ollama: Restart Language Server");
    await notification(page, "the embedded model, as before").waitFor({ timeout: 300_000 });
    await expect.poll(() => existsSync(join(servers, current, SETUP_DONE_MARKER)), { timeout: 600_000, interval: 1000 }).toBe(true);
    expect(readdirSync(servers)).toEqual([current]);

    const chat = await openChat(page);
    await ask(chat, "Say hello.");
    const answer = chat.locator(".message.assistant").last();
    await expect.poll(() => answer.getAttribute("data-status"), { timeout: 180_000, interval: 500 }).toBe("done");
    expect(await chat.locator(".turn-label").last().textContent()).toContain("SmolLM2");
  }, 900_000);
});
