// "Ollama: Toggle Inline Completion" and its status bar item, which shows the state and runs it.
import * as vscode from "vscode";
import { updateSetting } from "../configuration";
import { COMPLETION_ENABLED_KEY, TOGGLE_COMMAND, toggleLook } from "./toggleState";

// Read without a resource, as the settings sent to the server are.
function isEnabled(): boolean {
  return vscode.workspace.getConfiguration("ollama").get<boolean>(COMPLETION_ENABLED_KEY) ?? true;
}

/** Flip `ollama.completion.enabled`; the server gets the change with the other settings. */
export async function toggleInlineCompletion(): Promise<void> {
  await updateSetting(COMPLETION_ENABLED_KEY, !isEnabled());
}

export class CompletionStatusBar implements vscode.Disposable {
  // Right of the backend · model item (priority 100).
  private readonly item = vscode.window.createStatusBarItem("ollama.completion", vscode.StatusBarAlignment.Right, 99);
  private readonly subscription: vscode.Disposable;

  constructor() {
    this.item.name = "Ollama Inline Completion";
    this.item.command = TOGGLE_COMMAND;
    this.subscription = vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`ollama.${COMPLETION_ENABLED_KEY}`)) this.render();
    });
    this.render();
    this.item.show();
  }

  private render(): void {
    const look = toggleLook(isEnabled());
    this.item.text = look.text;
    this.item.tooltip = look.tooltip;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
