// The `ollama-lsp` process and its connection: start, restart, settings, streamed commands.
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  State,
  WorkDoneProgress,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { ApiKeyStore } from "./apiKey";
import { findExecutable } from "./executable";
import { bundledWheel, installedServer, ServerInstallError } from "./serverInstall";
import { TOKEN_NOTIFICATION, type ProgressValue, type TokenBatch } from "./protocol";
import { ServerStderr } from "./serverLog";
import { toServerSettings } from "./settings";

export interface StreamHandlers {
  onToken?(params: TokenBatch): void;
  onProgress?(value: ProgressValue): void;
}

function eachLine(input: Readable, onLine: (line: string) => void): void {
  createInterface({ input, crlfDelay: Infinity, terminal: false }).on("line", onLine);
}

function serverSettings(): Record<string, unknown> {
  const config = vscode.workspace.getConfiguration("ollama");
  return toServerSettings((key) => config.get(key));
}

export class OllamaLanguageServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly streams = new Map<string, StreamHandlers>();
  private readonly stateEmitter = new vscode.EventEmitter<"running" | "stopped">();
  /** Fires when the server (re)started or stopped. */
  readonly onDidChangeState = this.stateEmitter.event;

  /** The key in SecretStorage, passed to the server in its environment. */
  readonly apiKeys: ApiKeyStore;

  constructor(
    readonly output: vscode.LogOutputChannel,
    private readonly context: vscode.ExtensionContext,
  ) {
    this.apiKeys = new ApiKeyStore(context);
  }

  /** The start under way (the first one may install the server: a minute). */
  private starting: Promise<void> | undefined;

  /** Start the server; commands sent meanwhile wait for it. */
  start(): Promise<void> {
    this.starting = this.startClient();
    return this.starting;
  }

  private async startClient(): Promise<void> {
    const command = await this.executable();
    if (!command) {
      this.stateEmitter.fire("stopped");
      return;
    }
    const args = vscode.workspace.getConfiguration("ollama.server").get<string[]>("args") ?? [];
    const serverOptions: ServerOptions = { command, args, options: { env: await this.apiKeys.serverEnvironment() } };
    const clientOptions: LanguageClientOptions = {
      // Every text document is synced: chat context and code generation may name any of them.
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      outputChannel: this.output,
      stdioOptions: {
        // With the stdio transport stdout is the protocol: nothing reaches this.
        stdout: (input, channel) => eachLine(input, (line) => channel.info(line)),
        stderr: (input, channel) => {
          const stderr = new ServerStderr();
          eachLine(input, (line) => {
            const level = stderr.level(line);
            if (level) channel[level](line);
          });
        },
      },
      initializationOptions: serverSettings(),
      middleware: {
        workspace: {
          // The server asks for section `ollama`; answer with its settings only.
          configuration: (params, token, next) =>
            params.items.some((item) => item.section === "ollama")
              ? params.items.map((item) => (item.section === "ollama" ? serverSettings() : null))
              : next(params, token),
        },
      },
    };
    // The default error handler restarts a crashed server (up to 4 times in 3 minutes).
    const client = new LanguageClient("ollama", "Ollama Language Server", serverOptions, clientOptions);
    client.onNotification(TOKEN_NOTIFICATION, (params: TokenBatch) => {
      this.streams.get(String(params.token))?.onToken?.(params);
    });
    client.onDidChangeState((event) => {
      if (event.newState === State.Running) this.stateEmitter.fire("running");
      if (event.newState === State.Stopped) this.stateEmitter.fire("stopped");
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      this.client = undefined;
      await client.dispose().catch(() => undefined);
      void this.reportStartFailure(command, error);
    }
  }

  /** `ollama.server.path` when set; else the server bundled in the .vsix (installed on first
   * use), or `ollama-lsp` on PATH in a build without one. Undefined (and the user told why)
   * when there is none. */
  async executable(): Promise<string | undefined> {
    const configured = vscode.workspace.getConfiguration("ollama.server").get<string>("path") ?? "";
    const wheel = configured ? undefined : bundledWheel(this.context.extensionPath);
    if (wheel) {
      try {
        return await installedServer(this.context, wheel, this.output);
      } catch (error) {
        void this.reportInstallFailure(error);
        return undefined;
      }
    }
    const name = configured || "ollama-lsp";
    // A relative path is relative to the (first) workspace folder.
    const command = findExecutable(name, process.env.PATH, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
    if (!command) {
      void this.reportStartFailure(name, new Error(name.includes("/") ? "no executable file there" : "not found on PATH"));
    }
    return command;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.dispose().catch((error) => this.output.warn(`stopping the server: ${error}`));
  }

  get isRunning(): boolean {
    return this.client?.state === State.Running;
  }

  /** Send the current settings (after the user changed `ollama.*`). */
  async pushSettings(): Promise<void> {
    await this.client?.sendNotification("workspace/didChangeConfiguration", {
      settings: { ollama: serverSettings() },
    });
  }

  /**
   * Run a server command with one object argument. Its `ollama/token` notifications and
   * `$/progress` reports go to `handlers` (the server sends all of them before the response);
   * cancelling `cancel` sends `$/cancelRequest` and rejects with `vscode.CancellationError`.
   */
  async execute<R>(
    command: string,
    argument: object,
    cancel?: vscode.CancellationToken,
    handlers: StreamHandlers = {},
  ): Promise<R> {
    if (!this.client) await this.starting;
    const client = this.client;
    if (!client) {
      throw new Error("The Ollama language server is not running: see the output channel “Ollama Language Server”.");
    }
    const token = randomUUID();
    this.streams.set(token, handlers);
    // The server's `$/progress` values are LSP's with more fields: the protocol's own types.
    const onProgress = handlers.onProgress;
    const progress = onProgress
      ? client.onProgress(WorkDoneProgress.type, token, (value) => onProgress(value as ProgressValue))
      : undefined;
    try {
      return (await client.sendRequest(
        ExecuteCommandRequest.type,
        { command, arguments: [argument], workDoneToken: token },
        cancel,
      )) as R;
    } finally {
      this.streams.delete(token);
      progress?.dispose();
    }
  }

  private async reportStartFailure(command: string, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    this.output.error(`cannot start ${command}: ${reason}`);
    const choice = await vscode.window.showErrorMessage(
      `Cannot start the Ollama language server “${command}” (${reason}). Install it with ` +
        "“pip install ollama-lsp” (or “pip install -e .” in its repository) and set " +
        "“ollama.server.path” to the ollama-lsp executable, e.g. a virtualenv's bin/ollama-lsp.",
      "Open Settings",
      "Show Log",
    );
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "ollama.server.path");
    } else if (choice === "Show Log") {
      this.output.show();
    }
  }

  private async reportInstallFailure(error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    this.output.error(`cannot install the bundled language server: ${reason}`);
    const message =
      error instanceof ServerInstallError
        ? reason
        : `Installing the Ollama language server failed (${reason}); the log is in the output channel “Ollama Language Server”. ` +
          "Fix what it says and run “Ollama: Restart Language Server”, or set “ollama.server.path” to an ollama-lsp executable.";
    const choice = await vscode.window.showErrorMessage(message, "Show Log", "Open Settings");
    if (choice === "Open Settings") {
      await vscode.commands.executeCommand("workbench.action.openSettings", "ollama.server.path");
    } else if (choice === "Show Log") {
      this.output.show();
    }
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }
}
