// The language server that ships inside the .vsix: the `ollama-lsp` wheel in `bundled/`,
// installed on first use into a private virtual environment in the extension's global storage,
// with the Python the user already has (the Python extension's selected interpreter, else
// `python3` on PATH) — the way the pygls-based Python tool extensions run their servers, without
// shipping a copy of Python or of native libraries per platform. The environment is named by
// the wheel's hash: an extension upgrade brings another wheel, which installs afresh (the old
// environment is removed).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import { findExecutable } from "./executable";
import { pipFailureMessage, venvFailureMessage } from "./installFailure";
import { runLogged, StepFailed } from "./loggedProcess";
import { SETUP_DONE_MARKER } from "./protocol";
import { isSuitablePython, noSuitablePythonMessage } from "./pythonRequirement";

const binFolder = process.platform === "win32" ? "Scripts" : "bin";
const exeSuffix = process.platform === "win32" ? ".exe" : "";

/** An install that cannot be done; its message says what to do. */
export class ServerInstallError extends Error {}

/** The wheel inside the extension, if this build ships one (a development build may not). */
export function bundledWheel(extensionPath: string): string | undefined {
  const folder = join(extensionPath, "bundled");
  if (!existsSync(folder)) return undefined;
  const name = readdirSync(folder).find((file) => /^ollama_lsp-.+\.whl$/.test(file));
  return name && join(folder, name);
}

interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath?(): { path: string } | undefined };
}

/** Interpreters to try, best first: the one the Python extension selected, then `python3`. */
async function candidatePythons(): Promise<string[]> {
  const candidates: string[] = [];
  const extension = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (extension) {
    try {
      const api = await extension.activate();
      const selected = api.environments?.getActiveEnvironmentPath?.()?.path;
      if (selected) candidates.push(selected);
    } catch {
      // No selection to use: fall back to PATH.
    }
  }
  const onPath = findExecutable("python3") ?? findExecutable("python");
  if (onPath) candidates.push(onPath);
  return candidates;
}

/** The first interpreter that is Python ≥ 3.11; one clear error naming what was found if none. */
async function suitablePython(output: vscode.LogOutputChannel): Promise<string> {
  const found: string[] = [];
  for (const python of await candidatePythons()) {
    try {
      const version = await runLogged(output, python, ["-c", "import sys; print(*sys.version_info[:2])"]);
      if (isSuitablePython(version)) return python;
      found.push(`${python} is ${version.trim().replace(" ", ".")}`);
    } catch {
      found.push(`${python} does not run`);
    }
  }
  throw new ServerInstallError(noSuitablePythonMessage(found));
}

let installing: Promise<string> | undefined;

/**
 * The bundled server's executable, installed first if needed (behind a progress notification).
 * Rejects with a `ServerInstallError` (or the failed step's error) when it cannot be.
 */
export function installedServer(context: vscode.ExtensionContext, wheel: string, output: vscode.LogOutputChannel): Promise<string> {
  installing ??= install(context, wheel, output).finally(() => (installing = undefined));
  return installing;
}

async function install(context: vscode.ExtensionContext, wheel: string, output: vscode.LogOutputChannel): Promise<string> {
  const root = join(context.globalStorageUri.fsPath, "server");
  const name = `venv-${createHash("sha256").update(readFileSync(wheel)).digest("hex").slice(0, 12)}`;
  const venv = join(root, name);
  const executable = join(venv, binFolder, `ollama-lsp${exeSuffix}`);
  const done = join(venv, ".installed");
  if (existsSync(done) && existsSync(executable)) return executable;

  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "Ollama: installing the language server (once)" },
    async (progress) => {
      const started = Date.now();
      progress.report({ message: "Python ≥ 3.11…" });
      const python = await suitablePython(output);
      // An earlier version's environment, or a half-made one of this version, goes; when the
      // embedded model was set up in it, it is set up again below (seconds: engine and model are cached).
      const earlier = existsSync(root) ? readdirSync(root).map((old) => join(root, old)) : [];
      const hadEmbeddedModel = earlier.some((old) => existsSync(join(old, SETUP_DONE_MARKER)));
      for (const old of earlier) rmSync(old, { recursive: true, force: true });
      // A failed step leaves no half-made environment (nor `.installed`, written last): the next
      // start ("Ollama: Restart Language Server") installs afresh.
      const failed = (error: unknown, message: (failure: StepFailed) => string): unknown => {
        rmSync(venv, { recursive: true, force: true });
        return error instanceof StepFailed ? new ServerInstallError(message(error)) : error;
      };
      progress.report({ message: "virtual environment…" });
      await runLogged(output, python, ["-m", "venv", venv]).catch((error: unknown) => {
        throw failed(error, (failure) => venvFailureMessage(python, failure.output, failure.status));
      });
      progress.report({ message: "pip install…" });
      const pip = ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", wheel];
      await runLogged(output, join(venv, binFolder, `python${exeSuffix}`), pip).catch((error: unknown) => {
        throw failed(error, (failure) => pipFailureMessage(failure.output, failure.status));
      });
      writeFileSync(done, `${wheel}\n`);
      output.info(`installed the language server in ${venv} (${Math.round((Date.now() - started) / 1000)} s)`);
      if (hadEmbeddedModel) {
        progress.report({ message: "the embedded model, as before…" });
        await runLogged(output, executable, ["setup-embedded"]).catch((error: unknown) =>
          output.warn(`setting up the embedded model again failed (${String(error)}); “Ollama: Set Up the Embedded Model” tries again`),
        );
      }
      return executable;
    },
  );
}
