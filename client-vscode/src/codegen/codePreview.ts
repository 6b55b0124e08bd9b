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
    return this.editor.edit(
      (builder) => {
        for (const edit of edits) builder.replace(toRange(edit.range), edit.newText);
      },
      { undoStopBefore: !this.undoOpened, undoStopAfter: true },
    );
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
    const done = await this.editor.edit((builder) => builder.replace(range, text), {
      undoStopBefore: !this.undoOpened,
      undoStopAfter: closeUndoStep,
    });
    if (done) {
      this.shown = text;
      this.undoOpened = true;
    }
    return done;
  }

  private decorate(): void {
    const end = toPosition(endOfInsertedText(this.start, this.shown));
    this.editor.setDecorations(previewDecoration, [new vscode.Range(this.start, end)]);
    this.editor.setDecorations(labelDecoration, [new vscode.Range(end, end)]);
  }

  private clearDecorations(): void {
    this.editor.setDecorations(previewDecoration, []);
    this.editor.setDecorations(labelDecoration, []);
  }
}

function toPosition({ line, character }: { line: number; character: number }): vscode.Position {
  return new vscode.Position(line, character);
}

function toRange(range: TextEdit["range"]): vscode.Range {
  return new vscode.Range(toPosition(range.start), toPosition(range.end));
}
