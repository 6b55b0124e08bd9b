// The code being generated, shown in the document where it will go, marked as one region: while
// it streams, then complete and pending until the user accepts or discards it. All its edits
// form one undo step; `discard` restores the original text. Edits the user makes elsewhere
// meanwhile are followed; an edit inside the region is reported (`onUserEdit`): the code is the
// user's from then on.
import * as vscode from "vscode";
import type { TextEdit } from "vscode-languageclient/node";
import { spaceBlankLines } from "./blankLines";
import { compare, endOfInsertedText, firstNonBlankLine, lastNonBlankLine, shiftedBy, type LineCharacter } from "./textGeometry";

// Whole lines with a bar on the left: the region reads as one block, whatever its lines' lengths.
const regionDecoration = vscode.window.createTextEditorDecorationType({
  isWholeLine: true,
  backgroundColor: new vscode.ThemeColor("diffEditor.insertedLineBackground"),
  borderColor: new vscode.ThemeColor("editorGutter.addedBackground"),
  borderStyle: "solid",
  borderWidth: "0 0 0 3px",
  overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.addedForeground"),
  overviewRulerLane: vscode.OverviewRulerLane.Left,
});

type Undo = { undoStopBefore: boolean; undoStopAfter: boolean };
type State = "streaming" | "pending" | "ended";

export class CodePreview implements vscode.Disposable {
  readonly document: vscode.TextDocument;
  private state: State = "streaming";
  private start: LineCharacter;
  /** What `discard` puts back at `start`: the selection (and the blank lines the final edit
   * respaced). */
  private original: string;
  /** The text now standing in the document in place of `original`. */
  private shown: string;
  /** The lines of `shown` that hold code (counted from `start`'s line); unset: all of them that
   * are not blank. */
  private codeLines: { first: number; last: number } | undefined;
  /** The whole document before the first edit: what undoing the preview must give back. */
  private readonly documentBefore: string;
  /** The selected text the code replaces (empty for an insertion). */
  private readonly replaced: string;
  private revision = -1;
  private wanted: string;
  /** An undo stop opened the step that later edits join. */
  private undoOpened = false;
  /** The document's version right after the preview's last edit. */
  private ownVersion: number | undefined;
  private queue: Promise<void> = Promise.resolve();
  /** The preview's own edits on their way: their change events are not the user's. */
  private readonly ownChanges: { range: vscode.Range; text: string }[] = [];
  private userEditedPreview = false;
  private userEditedDocument = false;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly editor: vscode.TextEditor,
    private readonly range: vscode.Range,
    /** The user edited the code itself: it is theirs now. */
    private readonly onUserEdit: () => void,
  ) {
    this.document = editor.document;
    this.start = range.start;
    this.shown = this.wanted = this.original = this.replaced = this.document.getText(range);
    this.documentBefore = this.document.getText();
    this.subscriptions = [
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document !== this.document || this.state === "ended") return;
        for (const change of event.contentChanges) {
          const own = this.ownChanges.findIndex((mine) => mine.range.isEqual(change.range) && sameText(mine.text, change.text));
          if (own >= 0) this.ownChanges.splice(own, 1);
          else this.follow(change);
        }
      }),
      // An editor that shows the document again (another tab, a split) shows the region too.
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorate()),
    ];
  }

  /** Complete and waiting for Accept or Discard. */
  get isPending(): boolean {
    return this.state === "pending";
  }

  /** The region's first line of code: where its CodeLens goes. */
  get firstLine(): number {
    return this.start.line + (this.codeLines?.first ?? firstNonBlankLine(this.shown));
  }

  private get lastLine(): number {
    return this.start.line + (this.codeLines?.last ?? lastNonBlankLine(this.shown));
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

  /** Put the server's edit in place of the preview, spaced with blank lines like the file, and
   * close the undo step; false if it could not be done. The code stays pending when the edit
   * is the preview's own range (the server's usual answer). */
  async propose(edits: TextEdit[]): Promise<boolean> {
    await this.queue;
    if (this.userEditedPreview) return false;
    const [edit] = edits;
    if (edits.length === 1 && toRange(edit.range).isEqual(this.range)) {
      if (!(await this.replaceShown(this.takeInSpacing(edit.newText), true))) return false;
      this.undoOpened = false;
      this.state = "pending";
      this.decorate();
      return true;
    }
    // Any other shape of edit is in the original document's coordinates: applied as it is.
    this.state = "ended";
    this.clearDecorations();
    if (this.userEditedDocument) return false;
    if (this.shown !== this.original && !(await this.replaceShown(this.original, false))) return false;
    const changes = edits.map(({ range, newText }) => ({ range: toRange(range), text: newText }));
    return this.edit(changes, { undoStopBefore: !this.undoOpened, undoStopAfter: true });
  }

  /** The code is final: nothing to edit, the undo step is closed already. */
  accept(): void {
    this.state = "ended";
    this.clearDecorations();
  }

  /** Put the original text back: the document is as it was before the generation (a preview
   * the user edited is theirs and stays). With no other edit since the first one, this is the
   * editor's own undo, so a document that was saved is not left modified. */
  async discard(): Promise<void> {
    await this.queue;
    this.state = "ended";
    this.clearDecorations();
    if (this.userEditedPreview || this.shown === this.original) return;
    if (!this.userEditedDocument && (await this.undoOwnEdits())) return;
    await this.replaceShown(this.original, true);
  }

  dispose(): void {
    this.state = "ended";
    this.subscriptions.forEach((subscription) => subscription.dispose());
    this.clearDecorations();
  }

  /** Widen the region over the blank lines next to it that the final text respaces; the text
   * that then goes in its place. */
  private takeInSpacing(newText: string): string {
    const originalEnd = endOfInsertedText(this.start, this.original);
    const documentStart = new vscode.Position(0, 0);
    const documentEnd = this.document.lineAt(this.document.lineCount - 1).range.end;
    const withoutPreview =
      this.document.getText(new vscode.Range(documentStart, toPosition(this.start))) +
      this.original +
      this.document.getText(new vscode.Range(toPosition(this.end), documentEnd));
    const spaced = spaceBlankLines(withoutPreview, { range: { start: this.start, end: originalEnd }, text: newText }, this.document.languageId);
    const end = shiftedBy(spaced.range.end, { range: { start: this.start, end: originalEnd }, text: this.shown });
    const before = this.document.getText(new vscode.Range(toPosition(spaced.range.start), toPosition(this.start)));
    const after = this.document.getText(new vscode.Range(toPosition(this.end), toPosition(end)));
    this.start = spaced.range.start;
    this.original = before + this.original + after;
    this.shown = before + this.shown + after;
    this.codeLines = spaced.codeLines;
    return spaced.text;
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
      this.state = "ended";
      this.clearDecorations();
      this.onUserEdit();
    }
  }

  private schedule(): void {
    // One edit in flight at a time; the next one takes all text that arrived meanwhile.
    this.queue = this.queue.then(async () => {
      if (this.shown === this.wanted || this.state !== "streaming") return;
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
      this.ownVersion = this.document.version;
    }
    return done;
  }

  /** Undo the preview's step in the editor; false if the editor's undo did not give back the
   * document as it was (then nothing of the user's is lost: an undone step is redone). */
  private async undoOwnEdits(): Promise<boolean> {
    if (this.document.version !== this.ownVersion) return false;
    const column = vscode.window.visibleTextEditors.find((editor) => editor.document === this.document)?.viewColumn;
    // `undo` acts on the focused editor.
    await vscode.window.showTextDocument(this.document, { viewColumn: column, preserveFocus: false });
    if (vscode.window.activeTextEditor?.document !== this.document || this.document.version !== this.ownVersion) return false;
    await vscode.commands.executeCommand("undo");
    if (this.document.getText() === this.documentBefore) {
      this.shown = this.original;
      return true;
    }
    if (this.document.version !== this.ownVersion) await vscode.commands.executeCommand("redo");
    return false;
  }

  /** Edit through the editor (so the edits join one undo step), or through the workspace if
   * the user closed the editor meanwhile: the document must still end up right. */
  private async edit(changes: { range: vscode.Range; text: string }[], undo: Undo): Promise<boolean> {
    this.ownChanges.push(...changes);
    try {
      return await this.editor.edit((builder) => changes.forEach(({ range, text }) => builder.replace(range, text)), undo);
    } catch {
      const edit = new vscode.WorkspaceEdit();
      for (const { range, text } of changes) edit.replace(this.document.uri, range, text);
      return await vscode.workspace.applyEdit(edit);
    } finally {
      // Changes that were not applied (the document changed first) never show up.
      for (const change of changes) {
        const pending = this.ownChanges.indexOf(change);
        if (pending >= 0) this.ownChanges.splice(pending, 1);
      }
    }
  }

  /** Mark the region's lines of code (not the blank lines around them) in every editor that
   * shows the document; hovering them shows the text they replace. */
  private decorate(): void {
    if (this.state === "ended") return;
    const first = this.firstLine;
    const last = Math.max(first, this.lastLine);
    const hoverMessage = this.replaced ? new vscode.MarkdownString("Replaces:").appendCodeblock(this.replaced, this.document.languageId) : undefined;
    this.setDecorations([{ range: new vscode.Range(new vscode.Position(first, 0), this.document.lineAt(last).range.end), hoverMessage }]);
  }

  private clearDecorations(): void {
    this.setDecorations([]);
  }

  private setDecorations(region: vscode.DecorationOptions[]): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document === this.document) editor.setDecorations(regionDecoration, region);
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
