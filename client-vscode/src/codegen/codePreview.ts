// The code being generated, shown in the document where it will go, marked as a preview.
// All preview edits and the final edit form one undo step; `revert` restores the original text.
import * as vscode from "vscode";
import type { TextEdit } from "../protocol";
import { endOfInsertedText } from "./textGeometry";

const previewDecoration = vscode.window.createTextEditorDecorationType({
  backgroundColor: new vscode.ThemeColor("diffEditor.insertedTextBackground"),
  outlineColor: new vscode.ThemeColor("editorInfo.foreground"),
  outlineStyle: "dashed",
  outlineWidth: "1px",
});

const labelDecoration = vscode.window.createTextEditorDecorationType({
  after: {
    contentText: "  ⟵ Ollama preview (Esc cancels)",
    color: new vscode.ThemeColor("editorCodeLens.foreground"),
    fontStyle: "italic",
  },
});

export class CodePreview {
  private readonly start: vscode.Position;
  /** The text now standing in the document in place of the original selection. */
  private shown: string;
  private revision = -1;
  private wanted: string;
  /** An undo stop opened the step that all later edits join. */
  private undoOpened = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly editor: vscode.TextEditor,
    range: vscode.Range,
    private readonly original: string,
  ) {
    this.start = range.start;
    this.shown = this.wanted = original;
  }

  /** A code delta: a higher revision replaces what was shown before. */
  append(revision: number, text: string): void {
    if (revision !== this.revision) {
      this.revision = revision;
      this.wanted = "";
    }
    this.wanted += text;
    this.schedule();
  }

  /** Apply the server's edit (ranges of the original document) in place of the preview. */
  async commit(edits: TextEdit[]): Promise<boolean> {
    await this.queue;
    this.clearDecorations();
    if (this.shown !== this.original && !(await this.replaceShown(this.original, false))) return false;
    const changes = edits.map((edit) => ({ range: toRange(edit.range), text: edit.newText }));
    return this.edit(changes, { undoStopBefore: !this.undoOpened, undoStopAfter: true });
  }

  /** Put the original text back: the document is as it was before the generation. */
  async revert(): Promise<void> {
    await this.queue;
    this.clearDecorations();
    if (this.shown !== this.original) await this.replaceShown(this.original, true);
  }

  private schedule(): void {
    // One edit in flight at a time; the next one takes all text that arrived meanwhile.
    this.queue = this.queue.then(async () => {
      if (this.shown === this.wanted) return;
      await this.replaceShown(this.wanted, false);
      this.decorate();
    });
  }

  private async replaceShown(text: string, closeUndoStep: boolean): Promise<boolean> {
    const range = new vscode.Range(this.start, toPosition(endOfInsertedText(this.start, this.shown)));
    const done = await this.edit([{ range, text }], { undoStopBefore: !this.undoOpened, undoStopAfter: closeUndoStep });
    if (done) {
      this.shown = text;
      this.undoOpened = true;
    }
    return done;
  }

  /** Edit through the editor (so the edits join one undo step), or through the workspace if
   * the user closed the editor meanwhile: the document must still end up right. */
  private async edit(changes: { range: vscode.Range; text: string }[], undo: { undoStopBefore: boolean; undoStopAfter: boolean }): Promise<boolean> {
    try {
      return await this.editor.edit((builder) => changes.forEach(({ range, text }) => builder.replace(range, text)), undo);
    } catch {
      const edit = new vscode.WorkspaceEdit();
      for (const { range, text } of changes) edit.replace(this.editor.document.uri, range, text);
      return vscode.workspace.applyEdit(edit);
    }
  }

  private decorate(): void {
    const end = toPosition(endOfInsertedText(this.start, this.shown));
    this.setDecorations([new vscode.Range(this.start, end)], [new vscode.Range(end, end)]);
  }

  private clearDecorations(): void {
    this.setDecorations([], []);
  }

  private setDecorations(preview: vscode.Range[], label: vscode.Range[]): void {
    try {
      this.editor.setDecorations(previewDecoration, preview);
      this.editor.setDecorations(labelDecoration, label);
    } catch {
      // The editor was closed: nothing to mark.
    }
  }
}

function toPosition({ line, character }: { line: number; character: number }): vscode.Position {
  return new vscode.Position(line, character);
}

function toRange(range: TextEdit["range"]): vscode.Range {
  return new vscode.Range(toPosition(range.start), toPosition(range.end));
}
