// The models the server offers, the configured one, and whether the model server answers.
import * as vscode from "vscode";
import type { ModelList } from "../shared/messages";
import { updateSetting } from "./configuration";
import { describeError, failureKind } from "./errors";
import type { OllamaLanguageServer } from "./languageServer";
import { Command, type ListModelsResult } from "./protocol";

export type Health = { state: "ok" } | { state: "unreachable" | "serverDown"; message: string };

function configuredModel(): string {
  return vscode.workspace.getConfiguration("ollama").get<string>("model") ?? "";
}

export class ModelCatalog implements vscode.Disposable {
  private models: string[] = [];
  /** Who answers and, for the embedded backend, the model that does (the server's last word). */
  private answering: { backend: string; fixedModel?: string } | undefined;
  private healthState: Health = { state: "ok" };
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly server: OllamaLanguageServer) {}

  get list(): ModelList {
    const fixed = this.answering?.fixedModel;
    if (fixed) return { models: [fixed], selected: fixed };
    const selected = configuredModel();
    const models = this.models.includes(selected) || !selected ? this.models : [selected, ...this.models];
    return { models, selected };
  }

  /** "Ollama", "the embedded model", … once the server has said. */
  get backendName(): string | undefined {
    return this.answering?.backend;
  }

  get health(): Health {
    return this.healthState;
  }

  /** Ask the server for the models; an unreachable model server shows as a warning. */
  async refresh(): Promise<void> {
    if (!this.server.isRunning) {
      this.update({ state: "serverDown", message: "The language server is not running." });
      return;
    }
    try {
      const result = await this.server.execute<ListModelsResult>(Command.LIST_MODELS, {});
      this.models = result.models.map((model) => model.name);
      this.answering = { backend: result.backend, fixedModel: result.fixedModel };
      this.update({ state: "ok" });
    } catch (error) {
      this.noteFailure(error);
    }
  }

  /** A request got an answer: the model server is reachable again. */
  noteSuccess(): void {
    if (this.healthState.state === "unreachable") this.update({ state: "ok" });
  }

  /** A request failed: if the model server is unreachable, say so. */
  noteFailure(error: unknown): void {
    if (failureKind(error) === "unreachable") this.update({ state: "unreachable", message: describeError(error) });
  }

  /** Let the user pick the default model (`ollama.model`). */
  async pick(): Promise<void> {
    await this.refresh();
    const fixed = this.answering?.fixedModel;
    if (fixed) {
      const choice = await vscode.window.showInformationMessage(
        `${fixed} answers whatever model is picked (it is ${this.answering?.backend}); “ollama.embedded.modelPath” names another GGUF file.`,
        "Open Settings",
      );
      if (choice) await vscode.commands.executeCommand("workbench.action.openSettings", "ollama.embedded.modelPath");
      return;
    }
    const current = configuredModel();
    const items = this.list.models.map((name) => ({ label: name, description: name === current ? "current" : undefined }));
    const picked = await vscode.window.showQuickPick(items, {
      title: "Ollama model",
      placeHolder: this.healthState.state === "ok" ? "Pick the model to use" : this.healthState.message,
    });
    if (!picked) return;
    await updateSetting("model", picked.label);
  }

  /** The configured model changed (settings). */
  notifyConfigurationChanged(): void {
    this.changeEmitter.fire();
  }

  private update(health: Health): void {
    this.healthState = health;
    this.changeEmitter.fire();
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
