// Programs the extension runs for the user (python -m venv, pip, ollama-lsp setup-embedded):
// their output goes to the log as it comes, and a failure keeps all they printed for the message.
import { spawn } from "node:child_process";
import * as vscode from "vscode";

/** A program that exited with an error status; `output` is all it printed. */
export class StepFailed extends Error {
  constructor(
    message: string,
    readonly output: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

export interface RunOptions {
  /** Called with each whole line the program prints on stderr. */
  onStderrLine?(line: string): void;
  /** Stops the program and what it started (its process group) as Ctrl-C would — SIGINT, so pip
   * and the set-up clean up after themselves — rejecting with `vscode.CancellationError`. */
  cancel?: vscode.CancellationToken;
}

/** Runs a program, its output going to the log; resolves with its stdout, rejects with `StepFailed`
 * (or the spawn error when it cannot start). */
export function runLogged(output: vscode.LogOutputChannel, command: string, args: string[], options: RunOptions = {}): Promise<string> {
  output.info(`$ ${command} ${args.join(" ")}`);
  const { onStderrLine, cancel } = options;
  return new Promise((resolve, reject) => {
    // In its own process group when it may be cancelled: pip's and the compiler's children stop too.
    const ownGroup = cancel !== undefined && process.platform !== "win32";
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: ownGroup });
    let stdout = "";
    let printed = "";
    let partialLine = "";
    child.stdout.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      stdout += text;
      printed += text;
      output.append(text);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      printed += text;
      output.append(text);
      if (!onStderrLine) return;
      const lines = (partialLine + text).split("\n");
      partialLine = lines.pop() ?? "";
      lines.forEach(onStderrLine);
    });
    const stopping = cancel?.onCancellationRequested(() => {
      output.info(`stopping ${command}: cancelled by the user`);
      try {
        if (child.pid !== undefined) process.kill(ownGroup ? -child.pid : child.pid, "SIGINT");
      } catch {
        // Already gone.
      }
    });
    child.on("error", (error) => {
      stopping?.dispose();
      reject(error);
    });
    child.on("close", (status) => {
      stopping?.dispose();
      if (cancel?.isCancellationRequested) reject(new vscode.CancellationError());
      else if (status === 0) resolve(stdout);
      else reject(new StepFailed(`${command} ${args[0] ?? ""} … exited with status ${status}`, printed, status));
    });
  });
}
