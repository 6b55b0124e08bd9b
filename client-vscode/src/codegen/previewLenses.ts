// The generated code's actions as a CodeLens above it: short enough for a narrow split editor,
// and out of the code's way (a decoration after the text would be cut off at the edge).
import * as vscode from "vscode";
import type { CodePreview } from "./codePreview";
import type { CutShort } from "./cutShort";

export const ACCEPT_COMMAND = "ollamaLsp.acceptGeneration";
export const DISCARD_COMMAND = "ollamaLsp.discardGeneration";
export const STOP_COMMAND = "ollamaLsp.stopGeneration";
// The keys of package.json's keybindings.
const ACCEPT_KEY = process.platform === "darwin" ? "⌘Enter" : "Ctrl+Enter";

export class PreviewLenses implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly current: () => CodePreview | undefined,
    /** Why the pending code may be incomplete: a label before Accept, the notes in its hover. */
    private readonly cutShort: () => CutShort | undefined,
  ) {}

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const preview = this.current();
    if (!preview || preview.document !== document) return [];
    const line = new vscode.Range(preview.firstLine, 0, preview.firstLine, 0);
    const lens = (title: string, command: string, tooltip?: string): vscode.CodeLens => new vscode.CodeLens(line, { title, command, tooltip });
    if (preview.isPending) {
      const cutShort = this.cutShort();
      return [
        ...(cutShort ? [lens("$(warning) Cut short", "", cutShort.tooltip)] : []),
        lens(`$(check) Accept (${ACCEPT_KEY})`, ACCEPT_COMMAND, "Keep the generated code"),
        lens("$(discard) Discard (Esc)", DISCARD_COMMAND, "Put the original text back"),
      ];
    }
    // No command: a label.
    return [lens("$(loading~spin) Generating…", ""), lens("Stop (Esc)", STOP_COMMAND)];
  }

  dispose(): void {
    this.changed.dispose();
  }
}
