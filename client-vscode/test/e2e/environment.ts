// What the end-to-end tests run: the fake model server, code-server with the built .vsix and
// the real language server, and Debian's Chromium driven by playwright-core.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";
import { Process } from "./processes";

export const extensionRoot = resolve(__dirname, "../..");
export const repoRoot = resolve(extensionRoot, "..");
export const artifactsDir = join(extensionRoot, ".e2e", "artifacts");
const codeServerEntry = join(extensionRoot, ".e2e/code-server/node_modules/code-server/out/node/entry.js");
const vsixPath = join(extensionRoot, "ollama-lsp.vsix");
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** A fake model server entry: answer chats whose last user message contains `match`. */
export interface ScriptEntry {
  match?: string;
  chunks?: string[];
  thinking?: string[];
  delay_s?: number;
  first_delay_s?: number;
  status?: number;
  error?: string;
  /** `length`: the answer ends as cut at the model's token limit. */
  done_reason?: "stop" | "length";
}

/** Split text into word pieces that join back to it exactly (as the fake server's --chunks-from-text). */
export function words(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

export class FakeModelServer {
  private constructor(
    readonly process: Process,
    readonly baseUrl: string,
  ) {}

  /** `logChunks`: the server prints when it wrote each chunk (see `chunkTimes`); `logRequests`:
   * each request's body (see `requestBodies`); `port`: where it listens (default: any free one). */
  static async start(scripts: ScriptEntry[], { logChunks = false, logRequests = false, port = 0 } = {}): Promise<FakeModelServer> {
    const dir = mkdtempSync(join(tmpdir(), "ollama-e2e-script-"));
    const scriptFile = join(dir, "script.json");
    writeFileSync(scriptFile, JSON.stringify(scripts));
    const server = Process.start(
      "fake-model-server",
      join(repoRoot, ".venv/bin/python"),
      ["-m", "fake_model_server", "--port", String(port), "--script", scriptFile, "--log-disconnects", ...(logChunks ? ["--log-chunks"] : []), ...(logRequests ? ["--log-requests"] : [])],
      { cwd: repoRoot },
    );
    const [, url] = await server.waitForLine(/^READY (\S+)/, 30_000);
    return new FakeModelServer(server, url);
  }

  /** Wait for the server to see a client leave in the middle of an answer. */
  waitForDisconnect(timeoutMs = 5000): Promise<RegExpMatchArray> {
    return this.process.waitForLine(/^DISCONNECT /, timeoutMs);
  }

  /** With `logChunks`: [chunks of the answer sent so far, Unix time in ms] after each write. */
  get chunkTimes(): [number, number][] {
    return this.process.lines.flatMap((line): [number, number][] => {
      const match = /^CHUNK \S+ (\d+) (\S+)$/.exec(line);
      return match ? [[Number(match[1]), Number(match[2]) * 1000]] : [];
    });
  }

  /** With `logRequests`: the JSON body of every request to `path`, in the order they arrived. */
  requestBodies(path: string): unknown[] {
    return this.process.lines.flatMap((line) => {
      const match = /^REQUEST (\S+) (.*)$/.exec(line);
      return match && match[1] === path ? [JSON.parse(match[2]) as unknown] : [];
    });
  }

  get disconnects(): number {
    return this.process.lines.filter((line) => line.startsWith("DISCONNECT ")).length;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Wait until `read()` returns `expected`. */
async function waitUntil<T>(read: () => T, expected: T, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (read() !== expected) {
    if (Date.now() > deadline) throw new Error(`still not ${JSON.stringify(expected)} after ${timeoutMs} ms`);
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((wake) => setTimeout(wake, 100));
  }
}

/** The extension's settings for this repository's language server, talking to `model` as Ollama
 * with the model "test-model" (which the workbench waits for in the status bar). */
export function ollamaSettings(model: FakeModelServer): Record<string, unknown> {
  return {
    "ollama.server.path": join(repoRoot, ".venv/bin/ollama-lsp"),
    "ollama.backend": "ollama",
    "ollama.baseUrl": model.baseUrl,
    "ollama.model": "test-model",
  };
}

/** PATH without the folders that hold an `ollama-lsp` (e.g. the repository's .venv/bin): the
 * extension has to use the server it carries. */
export function pathWithoutServer(): string {
  return (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => !existsSync(join(dir, "ollama-lsp")))
    .join(delimiter);
}

/** The folder of the server's dependencies' wheels (scripts/wheelhouse.py, downloaded once): pip
 * installs from it (PIP_NO_INDEX, PIP_FIND_LINKS) what it would download from PyPI. */
export function wheelhouse(): string {
  return execFileSync(join(repoRoot, ".venv/bin/python"), [join(repoRoot, "scripts/wheelhouse.py"), "dependencies"], { encoding: "utf8" }).trim();
}

export interface Workbench {
  page: Page;
  workspace: string;
  /** code-server's `--user-data-dir`: settings, state, the extensions' global storage and the logs. */
  userDir: string;
  /** `XDG_DATA_HOME` of code-server and so of the language server: its conversation history
   * is kept here, never in the real home folder. */
  dataHome: string;
  /** code-server's process group: its extension host and the language server run in it. */
  processGroup: number;
  /** Change settings as a user does, in the settings.json editor (code-server does not notice
   * the file changing on disk), of the remote machine: where machine-scoped settings such as
   * `ollama.server.path` take effect in code-server. */
  updateSettings(changes: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export interface WorkbenchOptions {
  /** Environment variables of code-server (and so of the extension and its server) to set. A
   * PATH given here is the extension's as it is: not replaced by the login shell's (which VS
   * Code's server reads for its extension host unless, as here, VSCODE_CLI says the environment
   * is already the user's). */
  env?: Record<string, string>;
  /** Wait for the status bar to show the model (the server answering) before returning. */
  waitForServer?: boolean;
}

/** code-server with the extension from the .vsix, a workspace folder with `files`, in Chromium. */
export async function openWorkbench(
  settings: Record<string, unknown>,
  files: Record<string, string>,
  { env = {}, waitForServer = true }: WorkbenchOptions = {},
): Promise<Workbench> {
  const root = mkdtempSync(join(tmpdir(), "ollama-e2e-"));
  const userDir = join(root, "user");
  const extensionsDir = join(root, "ext");
  const workspace = join(root, "workspace");
  const dataHome = join(root, "data");
  mkdirSync(join(userDir, "User"), { recursive: true });
  mkdirSync(workspace);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(workspace, name), text);
  const settingsFile = join(userDir, "User", "settings.json");
  const userSettings: Record<string, unknown> = {
      // Nothing may steal the focus from what the tests do.
      "workbench.startupEditor": "none",
      "workbench.welcomePage.walkthroughs.openOnInstall": false,
      "workbench.tips.enabled": false,
      "workbench.enableExperiments": false,
      "extensions.ignoreRecommendations": true,
      "telemetry.telemetryLevel": "off",
      "security.workspace.trust.enabled": false,
      "chat.commandCenter.enabled": false,
      "window.commandCenter": false,
      "editor.minimap.enabled": false,
      ...settings,
  };
  writeFileSync(settingsFile, JSON.stringify(userSettings, null, 2));
  const common = ["--user-data-dir", userDir, "--extensions-dir", extensionsDir];
  const install = Process.start("install-extension", process.execPath, [codeServerEntry, ...common, "--install-extension", vsixPath]);
  await install.waitForLine(/successfully installed/i, 60_000);

  const port = await freePort();
  const codeServer = Process.start(
    "code-server",
    process.execPath,
    [
      codeServerEntry,
      ...common,
      "--auth", "none",
      "--bind-addr", `127.0.0.1:${port}`,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      workspace,
    ],
    // The language server keeps its conversation history under the test's own folder.
    { env: { ...process.env, VSCODE_PROXY_URI: "", XDG_DATA_HOME: dataHome, ...(env.PATH ? { VSCODE_CLI: "1" } : {}), ...env } },
  );
  let browser: Browser | undefined;
  const stop = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await codeServer.stop();
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, 60_000);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: `http://127.0.0.1:${port}` });
    const page = await context.newPage();
    // 127.0.0.1, not another address: webviews need a secure context.
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
    if (waitForServer) await page.locator(".statusbar-item", { hasText: "test-model" }).first().waitFor({ timeout: 60_000 });
    let remoteSettings: Record<string, unknown> = {};
    const remoteSettingsFile = join(userDir, "Machine", "settings.json");
    const updateSettings = async (changes: Record<string, unknown>): Promise<void> => {
      remoteSettings = { ...remoteSettings, ...changes };
      const text = JSON.stringify(remoteSettings, null, 2);
      // Its label ends with the remote's name.
      await runCommand(page, "Preferences: Open Remote Settings (JSON)", /^Preferences: Open Remote Settings \(JSON\)/);
      await page.locator(".tab.active", { hasText: "settings.json" }).waitFor();
      const editor = page.locator(".editor-instance .monaco-editor textarea").first();
      await editor.focus();
      await page.keyboard.press("Control+A");
      // Pasted rather than typed: typing would trigger auto-closing brackets and quotes.
      await page.evaluate((json) => navigator.clipboard.writeText(json), text);
      await page.keyboard.press("Control+V");
      await runCommand(page, "File: Save");
      await waitUntil(() => (existsSync(remoteSettingsFile) ? readFileSync(remoteSettingsFile, "utf8") : ""), text);
      await runCommand(page, "View: Close Editor");
    };
    return { page, workspace, userDir, dataHome, processGroup: codeServer.child.pid!, updateSettings, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Save the active editor, and expect workspace file `file` to hold exactly `expected` (the
 * document's own text, byte for byte: what the editor displays may lag a frame behind). */
export async function expectSaved(workbench: Workbench, file: string, expected: string): Promise<void> {
  await runCommand(workbench.page, "File: Save");
  await expect.poll(() => readFileSync(join(workbench.workspace, file), "utf8"), { timeout: 10_000 }).toBe(expected);
}

/** Put the cursor at the start of line `line` (1-based) of the active editor. */
export async function goToLine(page: Page, line: number): Promise<void> {
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(`:${line}`);
  await input.press("Enter");
}

/** Exactly this label: "Ollama: Open Chat" must not pick "Ollama: Open Chat in Editor". */
function exactly(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}

/** Run a command from the command palette; a freshly installed extension's command may be missing at first. */
export async function runCommand(page: Page, title: string, label = exactly(title)): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    // Escape closes the palette of a failed attempt (in an editor it would drop the selection).
    if (attempt > 1) await page.keyboard.press("Escape");
    await page.keyboard.press("F1");
    const input = page.locator(".quick-input-widget input");
    await input.waitFor();
    await input.fill(`>${title}`);
    const row = page.locator(".quick-input-list .monaco-list-row").filter({ has: page.locator(".label-name", { hasText: label }) }).first();
    try {
      await row.waitFor({ timeout: 3000 });
      await row.click();
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
    }
  }
}

/** The chat webview's document: two iframes deep. */
export function chatFrame(page: Page): FrameLocator {
  return page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
}

/** Open the chat view and wait for its prompt; returns the chat webview's document. */
export async function openChat(page: Page): Promise<FrameLocator> {
  await runCommand(page, "Ollama: Open Chat");
  const chat = chatFrame(page);
  await chat.locator("#prompt").waitFor({ timeout: 30_000 });
  return chat;
}

/** The last answer's text as shown. */
export async function answerText(frame: FrameLocator): Promise<string> {
  const text = await frame.locator(".message.assistant .answer-body").last().textContent();
  // Without the cursor, and without the line break markdown-it ends its HTML with.
  return (text ?? "").replace(/▊/g, "").replace(/\n$/, "");
}

/** Send a prompt from the chat's input; returns once its turn shows. */
export async function ask(frame: FrameLocator, prompt: string): Promise<void> {
  const input = frame.locator("#prompt");
  await input.click();
  await input.fill(prompt);
  await input.press("Enter");
  await frame.locator(".message.assistant").last().waitFor();
  await expect.poll(() => frame.locator(".message.user").last().textContent()).toBe(prompt);
}

/** Wait for the last answer to end with `status` (`done`, `stopped`, `error`). */
export async function lastAnswerEnds(frame: FrameLocator, status: string): Promise<Locator> {
  const answer = frame.locator(".message.assistant").last();
  await expect.poll(() => answer.getAttribute("data-status"), { timeout: 30_000 }).toBe(status);
  return answer;
}

/** Open a workspace file with Quick Open and wait for its editor. */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(name);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().click();
  await page.locator(".tab.active", { hasText: name }).waitFor();
  await page.locator(".editor-instance .monaco-editor .view-lines").first().waitFor();
}

/** The active editor's text as displayed (Monaco renders lines as positioned, reused divs). */
export async function editorText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const lines = Array.from(document.querySelectorAll<HTMLElement>(".editor-instance .monaco-editor .view-lines .view-line"));
    lines.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top));
    return lines.map((line) => (line.textContent ?? "").replace(/\u00a0/g, " ")).join("\n");
  });
}

/** Pids of the processes in `group` (or in any) whose command line contains `needle` (from /proc). */
export function processesInGroup(group: number | "any", needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 5 of /proc/PID/stat is the process group; the name in field 2 may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
      if ((group === "any" || Number(fields[2]) === group) && cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** Everything the extension's output channel `channel` logged (its files under the logs folder:
 * the channel as the user sees it, at the level it is set to). */
export function outputChannelLog(workbench: Workbench, channel = "Ollama Language Server"): string {
  const texts: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry === `${channel}.log`) texts.push(readFileSync(path, "utf8"));
    }
  };
  const logs = join(workbench.userDir, "logs");
  if (existsSync(logs)) walk(logs);
  return texts.join("\n");
}

/** The notification toasts whose text contains `text`. */
export function notification(page: Page, text: string): Locator {
  return page.locator(".notifications-toasts .notification-toast", { hasText: text });
}

/** Waits for the install's error notification holding `text`, with its Show Log and Open
 * Settings buttons; returns its whole text. */
export async function installError(page: Page, text: string, timeout: number): Promise<string> {
  const toast = notification(page, text);
  await toast.waitFor({ timeout });
  for (const button of ["Show Log", "Open Settings"]) await toast.locator(".monaco-button", { hasText: button }).waitFor();
  return (await toast.textContent()) ?? "";
}
