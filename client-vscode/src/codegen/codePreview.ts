// The code being generated, shown in the document where it will go, marked as a preview.
// All preview edits and the final edit form one undo step; `revert` restores the original text.
// Edits the user makes elsewhere meanwhile are followed; an edit inside the preview ends it.
import * as vscode from "vscode";
import type { TextEdit } from "vscode-languageclient/node";
import { compare, endOfInsertedText, shiftedBy, type LineCharacter } from "./textGeometry";

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

type Undo = { undoStopBefore: boolean; undoStopAfter: boolean };

export class CodePreview implements vscode.Disposable {
  private start: LineCharacter;
  /** The text now standing in the document in place of the original selection. */
  private shown: string;
  private revision = -1;
  private wanted: string;
  /** An undo stop opened the step that all later edits join. */
  private undoOpened = false;
  private queue: Promise<void> = Promise.resolve();
  /** The preview's own edits on their way: their change events are not the user's. */
  private readonly ownChanges: { range: vscode.Range; text: string }[] = [];
  private userEditedPreview = false;
  private userEditedDocument = false;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly editor: vscode.TextEditor,
    private readonly range: vscode.Range,
    private readonly original: string,
    /** The user edited the preview itself: the generation should stop. */
    private readonly onConflict: () => void,
  ) {
    this.start = range.start;
    this.shown = this.wanted = original;
    this.subscription = vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document !== editor.document) return;
      for (const change of event.contentChanges) {
        const own = this.ownChanges.findIndex((mine) => mine.range.isEqual(change.range) && sameText(mine.text, change.text));
        if (own >= 0) this.ownChanges.splice(own, 1);
        else this.follow(change);
      }
    });
  }

  /** A code delta: a higher revision replaces what was shown before. */
  append(revision: number, text: string): void {
    if (this.userEditedPreview) return;
    if (revision !== this.revision) {
      this.revision = revision;
      this.wanted = "";
    }
    this.wanted += text;
    this.schedule();
  }

  /** Put the server's edit in place of the preview; false if it could not be done. */
  async commit(edits: TextEdit[]): Promise<boolean> {
    await this.queue;
    this.clearDecorations();
    if (this.userEditedPreview) return false;
    const [edit] = edits;
    if (edits.length === 1 && toRange(edit.range).isEqual(this.range)) return this.replaceShown(edit.newText, true);
    // Any other shape of edit is in the original document's coordinates.
    if (this.userEditedDocument) return false;
    if (this.shown !== this.original && !(await this.replaceShown(this.original, false))) return false;
    const changes = edits.map(({ range, newText }) => ({ range: toRange(range), text: newText }));
    return this.edit(changes, { undoStopBefore: !this.undoOpened, undoStopAfter: true });
  }

  /** Put the original text back: the document is as it was before the generation (a
   * preview the user edited is theirs and stays). */
  async revert(): Promise<void> {
    await this.queue;
    this.clearDecorations();
    if (!this.userEditedPreview && this.shown !== this.original) await this.replaceShown(this.original, true);
  }

  dispose(): void {
    this.subscription.dispose();
    this.clearDecorations();
  }

  private get end(): LineCharacter {
    return endOfInsertedText(this.start, this.shown);
  }

  private follow(change: vscode.TextDocumentContentChangeEvent): void {
    if (compare(change.range.end, this.start) <= 0) {
      this.start = shiftedBy(this.start, change);
      this.userEditedDocument = true;
    } else if (compare(change.range.start, this.end) >= 0) {
      this.userEditedDocument = true;
    } else if (!this.userEditedPreview) {
      this.userEditedPreview = true;
      this.clearDecorations();
      this.onConflict();
    }
  }

  private schedule(): void {
    // One edit in flight at a time; the next one takes all text that arrived meanwhile.
    this.queue = this.queue.then(async () => {
      if (this.shown === this.wanted || this.userEditedPreview) return;
      await this.replaceShown(this.wanted, false);
      this.decorate();
    });
  }

  private async replaceShown(text: string, closeUndoStep: boolean): Promise<boolean> {
    const range = new vscode.Range(toPosition(this.start), toPosition(this.end));
    const done = await this.edit([{ range, text }], { undoStopBefore: !this.undoOpened, undoStopAfter: closeUndoStep });
    if (done) {
      this.shown = text;
      this.undoOpened = true;
    }
    return done;
  }

  /** Edit through the editor (so the edits join one undo step), or through the workspace if
   * the user closed the editor meanwhile: the document must still end up right. */
  private async edit(changes: { range: vscode.Range; text: string }[], undo: Undo): Promise<boolean> {
    this.ownChanges.push(...changes);
    try {
      return await this.editor.edit((builder) => changes.forEach(({ range, text }) => builder.replace(range, text)), undo);
    } catch {
      const edit = new vscode.WorkspaceEdit();
      for (const { range, text } of changes) edit.replace(this.editor.document.uri, range, text);
      return await vscode.workspace.applyEdit(edit);
    } finally {
      // Changes that were not applied (the document changed first) never show up.
      for (const change of changes) {
        const pending = this.ownChanges.indexOf(change);
        if (pending >= 0) this.ownChanges.splice(pending, 1);
      }
    }
  }

  private decorate(): void {
    const start = toPosition(this.start);
    const end = toPosition(this.end);
    this.setDecorations([new vscode.Range(start, end)], [new vscode.Range(end, end)]);
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

/** Equal up to line endings (the document converts inserted text to its own). */
function sameText(a: string, b: string): boolean {
  return a.replace(/\r\n?/g, "\n") === b.replace(/\r\n?/g, "\n");
}

function toPosition({ line, character }: LineCharacter): vscode.Position {
  return new vscode.Position(line, character);
}

function toRange(range: TextEdit["range"]): vscode.Range {
  return new vscode.Range(toPosition(range.start), toPosition(range.end));
}
