// “Ollama: Set Up the Embedded Model”, for users without Ollama: runs `ollama-lsp setup-embedded`
// (the same set-up as the README's first command) with the server this extension runs — its own
// from the .vsix, or `ollama.server.path` — so the engine lands in that server's Python. Its
// progress lines show in a notification that can be cancelled; the whole output goes to the log.
// Then the server restarts, so that it finds the new engine and `backend: "auto"` picks it.
import { spawn } from "node:child_process";
import * as vscode from "vscode";
import type { OllamaLanguageServer } from "./languageServer";

export const SET_UP_EMBEDDED_COMMAND = "ollamaLsp.setUpEmbeddedModel";

/** The CLI's progress lines start with this; its last error line with `FAILURE`. */
const PROGRESS = "==> ";
const FAILURE = "ollama-lsp setup-embedded: ";

type Outcome = { ok: true } | { ok: false; reason: string } | { ok: false; cancelled: true };

export async function setUpEmbeddedModel(server: OllamaLanguageServer): Promise<void> {
  const executable = await server.executable();
  if (!executable) return; // the user has been told why
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "Ollama: setting up the embedded model", cancellable: true },
    (progress, cancel) => runSetup(executable, server.output, (line) => progress.report({ message: line }), cancel),
  );
  if (!outcome.ok) {
    if ("cancelled" in outcome) {
      vscode.window.showInformationMessage("Setting up the embedded model was stopped; run the command again to go on where it stopped.");
      return;
    }
    const choice = await vscode.window.showErrorMessage(`Setting up the embedded model failed: ${outcome.reason}`, "Retry", "Show Log");
    if (choice === "Retry") await setUpEmbeddedModel(server);
    else if (choice === "Show Log") server.output.show();
    return;
  }
  await server.restart();
  await announceReady();
}

function runSetup(
  executable: string,
  output: vscode.LogOutputChannel,
  onProgress: (line: string) => void,
  cancel: vscode.CancellationToken,
): Promise<Outcome> {
  output.info(`$ ${executable} setup-embedded`);
  return new Promise((resolve) => {
    // Its own process group, so that a cancel stops pip and the compiler under it too.
    const child = spawn(executable, ["setup-embedded"], { stdio: ["ignore", "pipe", "pipe"], detached: process.platform !== "win32" });
    let failure: string | undefined;
    let partial = "";
    child.stdout.on("data", (chunk: Buffer) => output.append(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      output.append(text);
      const lines = (partial + text).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (line.startsWith(PROGRESS)) onProgress(line.slice(PROGRESS.length));
        else if (line.startsWith(FAILURE)) failure = line.slice(FAILURE.length);
      }
    });
    const stop = cancel.onCancellationRequested(() => {
      output.info("setup-embedded: stopped by the user");
      try {
        if (child.pid !== undefined) process.kill(process.platform === "win32" ? child.pid : -child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    });
    child.on("error", (error) => {
      stop.dispose();
      resolve({ ok: false, reason: `${executable} did not start (${error.message})` });
    });
    child.on("close", (status) => {
      stop.dispose();
      if (cancel.isCancellationRequested) resolve({ ok: false, cancelled: true });
      else if (status === 0) resolve({ ok: true });
      else resolve({ ok: false, reason: failure ?? `${executable} setup-embedded exited with status ${status}; the log has its output` });
    });
  });
}

async function announceReady(): Promise<void> {
  const config = vscode.workspace.getConfiguration("ollama");
  const backend = config.get<string>("backend") ?? "auto";
  const what =
    "The embedded model is ready: SmolLM2-135M, run inside the language server — small, for trying ollama-lsp out, " +
    "not for real answers (for those, install Ollama and `ollama pull qwen2.5-coder:1.5b`).";
  if (backend === "auto" || backend === "embedded") {
    const note = backend === "auto" ? " It answers whenever Ollama is not running." : "";
    if ((await vscode.window.showInformationMessage(what + note, "Open Chat")) === "Open Chat") {
      await vscode.commands.executeCommand("ollamaLsp.openChat");
    }
    return;
  }
  const choice = await vscode.window.showInformationMessage(
    `${what} \`ollama.backend\` is “${backend}”, so it is not used yet.`,
    "Use the Embedded Model",
  );
  if (choice === "Use the Embedded Model") {
    await config.update("backend", "embedded", vscode.ConfigurationTarget.Global);
  }
}
