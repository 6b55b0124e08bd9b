// "Ollama: Set API Key…": the key goes into VS Code's secret storage and reaches the server (in
// its environment), and nowhere else — not settings.json, not the output channel with the
// protocol traced verbosely, not the chat — even when the model server echoes it back.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chatFrame, FakeModelServer, ollamaSettings, openWorkbench, runCommand, type Workbench } from "./environment";

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

    // Nothing VS Code wrote — settings, logs with the verbose trace, state — holds the key.
    await runCommand(page, "Ollama: Show Server Log");
    const userDir = join(dirname(workbench.workspace), "user");
    expect(filesContaining(userDir, KEY)).toEqual([]);
    expect(filesContaining(userDir, KEY.split(" ").pop()!)).toEqual([]);
  });
});
