// “Ollama: Set Up the Embedded Model”, for users without Ollama: runs `ollama-lsp setup-embedded`
// (the same set-up as the README's first command) with the server this extension runs — its own
// from the .vsix, or `ollama.server.path` — so the engine lands in that server's Python. Its
// progress lines show in a notification that can be cancelled; the whole output goes to the log.
// Then the server restarts, so that it finds the new engine and `backend: "auto"` picks it.
import * as vscode from "vscode";
import type { OllamaLanguageServer } from "./languageServer";
import { runLogged, StepFailed } from "./loggedProcess";
import { SETUP_FAILURE_PREFIX, SETUP_PROGRESS_PREFIX } from "./protocol";

export const SET_UP_EMBEDDED_COMMAND = "ollamaLsp.setUpEmbeddedModel";

type Outcome = { ok: true } | { ok: false; reason: string } | { ok: false; cancelled: true };

/** The set-up under way: asked again meanwhile (a second click), it is not run twice. */
let running: Promise<Outcome | undefined> | undefined;

export async function setUpEmbeddedModel(server: OllamaLanguageServer): Promise<void> {
  if (running) {
    await running; // its end is told once, by the first call
    return;
  }
  running = runWithProgress(server);
  const outcome = await running.finally(() => (running = undefined));
  if (!outcome) return; // no server to set up: the user has been told why
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

async function runWithProgress(server: OllamaLanguageServer): Promise<Outcome | undefined> {
  const executable = await server.executable();
  if (!executable) return undefined;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "Ollama: setting up the embedded model", cancellable: true },
    (progress, cancel) => runSetup(executable, server.output, (line) => progress.report({ message: line }), cancel),
  );
}

async function runSetup(
  executable: string,
  output: vscode.LogOutputChannel,
  onProgress: (line: string) => void,
  cancel: vscode.CancellationToken,
): Promise<Outcome> {
  const onStderrLine = (line: string): void => {
    if (line.startsWith(SETUP_PROGRESS_PREFIX)) onProgress(line.slice(SETUP_PROGRESS_PREFIX.length));
  };
  const started = Date.now();
  try {
    await runLogged(output, executable, ["setup-embedded"], { onStderrLine, cancel });
    output.info(`the embedded model is set up (${Math.round((Date.now() - started) / 1000)} s)`);
    return { ok: true };
  } catch (error) {
    if (error instanceof vscode.CancellationError) return { ok: false, cancelled: true };
    if (!(error instanceof StepFailed)) return { ok: false, reason: `${executable} did not start (${String(error)})` };
    const failure = error.output
      .split("\n")
      .filter((line) => line.startsWith(SETUP_FAILURE_PREFIX))
      .at(-1);
    return { ok: false, reason: failure?.slice(SETUP_FAILURE_PREFIX.length) ?? `${error.message}; the log has its output` };
  }
}

async function announceReady(): Promise<void> {
  const config = vscode.workspace.getConfiguration("ollama");
  const backend = config.get<string>("backend") ?? "auto";
  const what =
    "The embedded model is ready: SmolLM2-135M, run inside the language server — small, for trying ollama-lsp out, " +
    "not for real answers (for those, install Ollama and run “ollama pull qwen2.5-coder:1.5b”).";
  if (backend === "auto" || backend === "embedded") {
    const note = backend === "auto" ? " It answers whenever Ollama is not running." : "";
    if ((await vscode.window.showInformationMessage(what + note, "Open Chat")) === "Open Chat") {
      await vscode.commands.executeCommand("ollamaLsp.openChat");
    }
    return;
  }
  const choice = await vscode.window.showInformationMessage(
    `${what} “ollama.backend” is “${backend}”, so it is not used yet.`,
    "Use the Embedded Model",
  );
  if (choice === "Use the Embedded Model") {
    await config.update("backend", "embedded", vscode.ConfigurationTarget.Global);
  }
}
