// The text editor the user worked in last: the chat's context and code actions target it even
// while the chat (a webview, possibly an editor tab) has the focus.
import * as vscode from "vscode";

export class EditorTracker implements vscode.Disposable {
  private last: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private readonly subscription = vscode.window.onDidChangeActiveTextEditor((editor) => {
    if (editor) this.last = editor;
  });

  get editor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active) return active;
    // A closed editor is no target.
    return this.last && vscode.window.visibleTextEditors.includes(this.last) ? this.last : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
