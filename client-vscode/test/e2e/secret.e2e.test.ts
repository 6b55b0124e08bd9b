// "Ollama: Set API Key…": the key goes into VS Code's secret storage and reaches the server (in
// its environment), and nowhere else — not settings.json, not the output channel with the
// protocol traced verbosely, not the chat, its history or a notification — even when the model
// server echoes it back.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chatFrame, FakeModelServer, ollamaSettings, openWorkbench, outputChannelLog, runCommand, type Workbench } from "./environment";

const KEY = `team key ${Date.now().toString(36)}x${Math.random().toString(36).slice(2)}`;

let model: FakeModelServer;
let workbench: Workbench;

/** Files under `folder` whose bytes contain `needle`. */
function filesContaining(folder: string, needle: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(folder)) {
    const path = join(folder, entry);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isDirectory()) found.push(...filesContaining(path, needle));
    else if (stat?.isFile() && readFileSync(path).includes(needle)) found.push(path);
  }
  return found;
}

beforeAll(async () => {
  model = await FakeModelServer.start([{ match: "whoami", status: 401, error: "rejected {authorization}" }]);
  workbench = await openWorkbench({ ...ollamaSettings(model), "ollama.trace.server": "verbose" }, {});
});

afterAll(async () => {
  await workbench?.stop();
  await model?.process.stop();
});

describe("Set API Key…", () => {
  test("the key reaches the model server and shows nowhere", async () => {
    const { page } = workbench;
    // The client writes the trace (`ollama.trace.server`) at the Trace level, which the channel
    // shows only when set to it: as a user does, with "Developer: Set Log Level…".
    await runCommand(page, "Developer: Set Log Level...");
    const pick = async (label: RegExp): Promise<void> => {
      await page.locator(".quick-input-list .monaco-list-row").filter({ has: page.locator(".label-name", { hasText: label }) }).first().click();
    };
    await pick(/^Ollama Language Server$/);
    await pick(/^Trace$/);

    // Setting the key restarts the server: its `initialize` is traced.
    await runCommand(page, "Ollama: Set API Key…");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor();
    expect(await input.getAttribute("type")).toBe("password");
    await input.fill(KEY);
    await input.press("Enter");

    await runCommand(page, "Ollama: Open Chat");
    const chat = chatFrame(page);
    const prompt = chat.locator("#prompt");
    await prompt.waitFor({ timeout: 30_000 });
    // The server restarts with the key: the first asks may meet it still starting.
    const answer = chat.locator(".message.assistant").last();
    await expect
      .poll(
        async () => {
          await prompt.fill("whoami");
          await prompt.press("Enter");
          await expect.poll(() => answer.getAttribute("data-status")).toBe("error");
          return answer.locator(".error").textContent();
        },
        { timeout: 60_000, interval: 1000 },
      )
      // Said only when a key was sent: the server had it from SecretStorage.
      .toContain("refused the API key");
    expect(await answer.locator(".error").textContent()).not.toContain(KEY);

    // The verbose trace is in the log (so that the search below can fail): the restart's
    // `initialize` with its parameters, and the failed request's answer.
    const log = outputChannelLog(workbench);
    expect(log).toMatch(/\[trace\] Sending request 'initialize - \(\d+\)'\.\s+Params: \{/);
    expect(log).toContain("refused the API key");
    // The server's stderr at the levels its lines were logged at, not all as errors.
    expect(log).toMatch(/\[info\] \S+ \S+ INFO httpx2: HTTP Request: POST /);
    expect(log).not.toMatch(/\[error\] \S+ \S+ INFO /);

    // Nothing VS Code or the server wrote — settings, logs with the verbose trace, state, the
    // chat history — nor any notification holds the key.
    await runCommand(page, "Notifications: Show Notifications");
    await page.locator(".notifications-center").waitFor();
    const notifications = await page.locator(".notifications-center, .notifications-toasts").allTextContents();
    expect(notifications.join("\n")).not.toContain(KEY.split(" ").pop()!);
    await runCommand(page, "Ollama: Show Server Log");
    for (const folder of [workbench.userDir, workbench.dataHome]) {
      expect(filesContaining(folder, KEY)).toEqual([]);
      expect(filesContaining(folder, KEY.split(" ").pop()!)).toEqual([]);
    }
  });
});
