// The server inside the .vsix cannot be installed because pip cannot get its libraries (here: no
// index, PIP_NO_INDEX, and an empty PIP_FIND_LINKS folder — what a machine without network or
// behind a proxy sees). One error quotes pip's last ERROR line and says what to do, with Show Log;
// the half-made environment is not taken as installed; “Ollama: Restart Language Server” tries
// again — and once the libraries are there (the wheelhouse copied into that folder), installs
// the server and starts it.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  artifactsDir,
  FakeModelServer,
  installError,
  notification,
  openWorkbench,
  outputChannelLog,
  pathWithoutServer,
  processesInGroup,
  runCommand,
  wheelhouse,
  type Workbench,
} from "./environment";

const MESSAGE = "pip could not install its libraries";

let model: FakeModelServer;
let workbench: Workbench;
let links: string;

/** The status bar's model item: a warning while the server does not run. */
function statusItem() {
  return workbench.page.locator(".statusbar-item", { hasText: "· test-model" }).first();
}

/** The environments in the extension's global storage, and whether each is marked installed. */
function environments(): { name: string; installed: boolean }[] {
  const root = join(workbench.userDir, "User/globalStorage/ollama-lsp.ollama-lsp/server");
  if (!existsSync(root)) return [];
  return readdirSync(root).map((name) => ({ name, installed: existsSync(join(root, name, ".installed")) }));
}

beforeAll(async () => {
  model = await FakeModelServer.start([]);
  links = mkdtempSync(join(tmpdir(), "ollama-e2e-links-"));
  workbench = await openWorkbench(
    { "ollama.backend": "ollama", "ollama.baseUrl": model.baseUrl, "ollama.model": "test-model" },
    {},
    { env: { PATH: pathWithoutServer(), PIP_NO_INDEX: "1", PIP_FIND_LINKS: links }, waitForServer: false },
  );
});

afterAll(async () => {
  await workbench?.stop();
  await model?.process.stop();
});

describe("pip cannot install the server's libraries", () => {
  test("one error with pip's reason, the fix, ollama.server.path and Show Log; nothing half-installed", async () => {
    const { page } = workbench;
    const text = await installError(page, MESSAGE, 120_000);
    expect(text).toMatch(/\(ERROR: No matching distribution found for [^)]+\)/);
    expect(text).toContain("PyPI");
    expect(text).toContain("PIP_INDEX_URL");
    expect(text).toContain("Restart Language Server");
    expect(text).toContain("ollama.server.path");
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: join(artifactsDir, "pip-failure-error.png") });

    // The log has pip's whole output, the command and the error.
    await expect.poll(() => outputChannelLog(workbench), { timeout: 10_000 }).toContain(`cannot install the bundled language server: Installing the Ollama language server failed: ${MESSAGE}`);
    const log = outputChannelLog(workbench);
    expect(log).toMatch(/\$ \S+\/bin\/python -m pip install .*ollama_lsp-\S+\.whl/);
    expect(log).toContain("ERROR: Could not find a version that satisfies the requirement");

    // Nothing retries by itself, no server runs, and no environment is left to be taken as installed.
    await page.waitForTimeout(3000);
    expect(await notification(page, MESSAGE).count()).toBe(1);
    expect(processesInGroup(workbench.processGroup, "bin/ollama-lsp").length).toBe(0);
    expect(environments()).toEqual([]);
    expect(await statusItem().getAttribute("class")).toContain("warning-kind");
  }, 180_000);

  test("“Ollama: Restart Language Server” tries again: the same error while pip cannot, the server once it can", async () => {
    const { page } = workbench;
    const errorsLogged = (): number => outputChannelLog(workbench).split("cannot install the bundled language server").length - 1;
    expect(errorsLogged()).toBe(1);
    await runCommand(page, "Notifications: Clear All Notifications");
    await expect.poll(() => notification(page, MESSAGE).count()).toBe(0);
    await runCommand(page, "Ollama: Restart Language Server");
    await notification(page, MESSAGE).waitFor({ timeout: 120_000 });
    await expect.poll(() => errorsLogged(), { timeout: 10_000 }).toBe(2);
    expect(environments()).toEqual([]);

    // The network is back, so to speak: the libraries are where pip looks.
    const wheels = wheelhouse();
    for (const file of readdirSync(wheels)) copyFileSync(join(wheels, file), join(links, file));
    await runCommand(page, "Notifications: Clear All Notifications");
    await runCommand(page, "Ollama: Restart Language Server");
    await notification(page, "installing the language server (once): pip install").waitFor({ timeout: 60_000 });
    // The server from the extension's global storage (no other ollama-lsp is on PATH).
    await expect.poll(() => processesInGroup(workbench.processGroup, "bin/ollama-lsp").length, { timeout: 300_000, interval: 500 }).toBe(1);
    await expect.poll(() => statusItem().getAttribute("class"), { timeout: 60_000 }).not.toContain("warning-kind");
    expect(environments()).toEqual([{ name: expect.stringMatching(/^venv-/) as string, installed: true }]);
    expect(await notification(page, MESSAGE).count()).toBe(0);
  }, 420_000);
});
