// The language server's life in a real VS Code: a missing executable gets a message with the
// fix, a settings change restarts it, an unreachable model server shows in the status bar, and
// a crashed server is started again.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FakeModelServer, openWorkbench, processesInGroup, repoRoot, type Workbench } from "./environment";

const serverPath = join(repoRoot, ".venv/bin/ollama-lsp");
let model: FakeModelServer;
let workbench: Workbench;

function statusItem(workbench: Workbench) {
  return workbench.page.locator(".statusbar-item", { hasText: "· test-model" }).first();
}

beforeAll(async () => {
  model = await FakeModelServer.start([]);
  workbench = await openWorkbench({ "ollama.server.path": "/nonexistent/ollama-lsp", "ollama.backend": "ollama", "ollama.model": "test-model" }, {});
});

afterAll(async () => {
  await workbench?.stop();
  await model?.process.stop();
});

describe("language server", () => {
  test("a missing server gets a message saying how to fix it, and the status bar warns", async () => {
    const toast = workbench.page.locator(".notifications-toasts", { hasText: "Cannot start the Ollama language server" });
    await toast.waitFor({ timeout: 30_000 });
    expect(await toast.textContent()).toContain("ollama.server.path");
    expect(await toast.textContent()).toContain("pip install");
    await expect.poll(() => statusItem(workbench).getAttribute("class")).toContain("warning-kind");
  });

  test("fixing ollama.server.path starts it; an unreachable model server is a warning until baseUrl is right", async () => {
    // Nothing listens on port 9 of the loopback.
    await workbench.updateSettings({ "ollama.server.path": serverPath, "ollama.baseUrl": "http://127.0.0.1:9" });
    await workbench.page.screenshot({ path: "/tmp/debug.png" });
    await expect.poll(() => processesInGroup(workbench.processGroup, serverPath).length, { timeout: 30_000 }).toBe(1);
    await expect.poll(() => statusItem(workbench).getAttribute("aria-label"), { timeout: 30_000 }).toMatch(/Cannot reach/);
    expect(await statusItem(workbench).getAttribute("class")).toContain("warning-kind");

    await workbench.updateSettings({ "ollama.baseUrl": model.baseUrl });
    await expect.poll(() => statusItem(workbench).getAttribute("class"), { timeout: 30_000 }).not.toContain("warning-kind");
    expect(await statusItem(workbench).textContent()).toContain("ollama · test-model");
  });

  test("a crashed server is started again", async () => {
    const [first] = processesInGroup(workbench.processGroup, serverPath);
    process.kill(first, "SIGKILL");
    await expect
      .poll(() => processesInGroup(workbench.processGroup, serverPath).filter((pid) => pid !== first).length, { timeout: 30_000 })
      .toBe(1);
  });
});
