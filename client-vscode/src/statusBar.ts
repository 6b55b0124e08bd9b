// Status bar item: backend and model; warning colours when the model server does not answer.
import * as vscode from "vscode";
import { backendLabel } from "./backendLabel";
import type { ModelCatalog } from "./modelCatalog";

export class ModelStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("ollama.status", vscode.StatusBarAlignment.Right, 100);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly catalog: ModelCatalog) {
    this.item.name = "Ollama";
    this.item.command = "ollamaLsp.pickModel";
    this.subscription = catalog.onDidChange(() => this.render());
    this.render();
    this.item.show();
  }

  private render(): void {
    const backend = vscode.workspace.getConfiguration("ollama").get<string>("backend") ?? "auto";
    const { selected } = this.catalog.list;
    const health = this.catalog.health;
    const label = backendLabel(backend, this.catalog.backendName, selected);
    if (health.state === "ok") {
      this.item.text = `$(hubot) ${label}`;
      this.item.backgroundColor = undefined;
      this.item.tooltip = `Ollama: ${label} — click to pick the model`;
    } else {
      this.item.text = `$(warning) ${label}`;
      this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.warningBackground");
      this.item.tooltip = `${health.message}\nClick to pick the model.`;
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
