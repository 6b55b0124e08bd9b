// A new user whose Python is too old for the server inside the .vsix (it needs 3.11): one error
// names what was found, the fix and the way around it (`ollama.server.path`), with Show Log and
// Open Settings; the log has the detail. Nothing retries by itself; “Ollama: Restart Language
// Server” tries again. This machine's Python is new enough, so the python3 on PATH here is a
// stand-in for a 3.9 one: it answers the one question the extension asks (its version) as 3.9
// would, and records each time it is asked.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
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
  type Workbench,
} from "./environment";

const VERSION_QUESTION = "import sys; print(*sys.version_info[:2])";
const MESSAGE = "needs Python 3.11 or later";

let model: FakeModelServer;
let workbench: Workbench;
let python: string;
let calls: string;

/** How many times the extension ran the stand-in python3. */
function timesAsked(): number {
  return existsSync(calls) ? readFileSync(calls, "utf8").split("\n").filter(Boolean).length : 0;
}

beforeAll(async () => {
  model = await FakeModelServer.start([]);
  const bin = mkdtempSync(join(tmpdir(), "ollama-e2e-python39-"));
  python = join(bin, "python3");
  calls = join(bin, "calls");
  writeFileSync(
    python,
    [
      "#!/bin/sh",
      `echo "$*" >> '${calls}'`,
      `if [ "$#" = 2 ] && [ "$1" = -c ] && [ "$2" = '${VERSION_QUESTION}' ]; then echo "3 9"; exit 0; fi`,
      'echo "python3 (a stand-in for 3.9) cannot run: $*" >&2',
      "exit 2",
      "",
    ].join("\n"),
  );
  chmodSync(python, 0o755);
  workbench = await openWorkbench(
    { "ollama.backend": "ollama", "ollama.baseUrl": model.baseUrl, "ollama.model": "test-model" },
    {},
    { env: { PATH: [bin, pathWithoutServer()].join(delimiter) }, waitForServer: false },
  );
});

afterAll(async () => {
  await workbench?.stop();
  await model?.process.stop();
});

describe("no Python ≥ 3.11", () => {
  test("one error with what was found, the fix and ollama.server.path; the detail in the log", async () => {
    const { page } = workbench;
    const text = await installError(page, MESSAGE, 60_000);
    expect(text).toContain(`(${python} is 3.9)`);
    expect(text).toContain("Install it");
    expect(text).toContain("Restart Language Server");
    expect(text).toContain("ollama.server.path");

    // The log: the question asked, and the error.
    await expect.poll(() => outputChannelLog(workbench), { timeout: 10_000 }).toContain(`cannot install the bundled language server: The Ollama language server ${MESSAGE}`);
    expect(outputChannelLog(workbench)).toContain(`$ ${python} -c ${VERSION_QUESTION}`);

    // No crash, no retry by itself: asked once, one error, no server, no environment made.
    await page.waitForTimeout(5000);
    expect(timesAsked()).toBe(1);
    expect(await notification(page, MESSAGE).count()).toBe(1);
    expect(processesInGroup(workbench.processGroup, "bin/ollama-lsp").length).toBe(0);
    expect(existsSync(join(workbench.userDir, "User/globalStorage/ollama-lsp.ollama-lsp/server"))).toBe(false);

    // Show Log opens the output channel, the error in it.
    mkdirSync(artifactsDir, { recursive: true });
    await page.screenshot({ path: join(artifactsDir, "no-python-error.png") });
    await notification(page, MESSAGE).locator(".monaco-button", { hasText: "Show Log" }).click();
    await expect.poll(() => page.locator(".part.panel select.monaco-select-box").first().inputValue()).toBe("Ollama Language Server");
    await expect
      .poll(async () => ((await page.locator(".part.panel .monaco-editor .view-lines").textContent()) ?? "").replace(/\u00a0/g, " "))
      .toContain(`cannot install the bundled language server: The Ollama language server ${MESSAGE}`);
  });

  test("“Ollama: Restart Language Server” asks again, and says so again", async () => {
    const { page } = workbench;
    await runCommand(page, "Notifications: Clear All Notifications");
    await expect.poll(() => notification(page, MESSAGE).count()).toBe(0);
    await runCommand(page, "Ollama: Restart Language Server");
    await notification(page, MESSAGE).waitFor({ timeout: 30_000 });
    expect(timesAsked()).toBe(2);
  });
});
