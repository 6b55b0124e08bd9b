// "Ollama: Generate Code…": ask for an instruction, stream the code into the editor as a marked
// preview while the progress notification shows the stage, then leave it pending until the user
// accepts it (Ctrl+Enter, the CodeLens) or discards it (Escape, the CodeLens); Accept keeps it as
// one undo step, Discard restores the document. Cancel while it streams (the notification's
// button, Escape, "Ollama: Stop Generation") restores the document too. A stage cut short (token
// budget, the model repeating itself) is said by a warning and by the pending code's CodeLens.
import * as vscode from "vscode";
import { TextDocumentEdit, TextEdit } from "vscode-languageclient/node";
import { describeError } from "../errors";
import type { OllamaLanguageServer } from "../languageServer";
import type { ModelCatalog } from "../modelCatalog";
import { Command, type GenerateCodeParams, type GenerateCodeResult } from "../protocol";
import { CodePreview } from "./codePreview";
import { describeCutShort, type CutShort } from "./cutShort";
import { PreviewLenses } from "./previewLenses";

const STREAMING_CONTEXT_KEY = "ollamaLsp.previewActive";
/** The active editor shows generated code waiting for Accept / Discard. */
const PENDING_CONTEXT_KEY = "ollamaLsp.generationPending";

export class InlineGenerator implements vscode.Disposable {
  private running: vscode.CancellationTokenSource | undefined;
  /** The generated code on screen, streaming or pending; one at a time. */
  private preview: CodePreview | undefined;
  /** Why the pending code may be incomplete (its stages cut short), if it may. */
  private cutShort: CutShort | undefined;
  private readonly lenses = new PreviewLenses(() => this.preview, () => this.cutShort);
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly server: OllamaLanguageServer,
    private readonly models: ModelCatalog,
  ) {
    this.subscriptions = [
      this.lenses,
      vscode.languages.registerCodeLensProvider({ scheme: "*" }, this.lenses),
      // Pending code stays pending in a file in the background; its keys work where it shows.
      vscode.window.onDidChangeActiveTextEditor(() => void this.updatePendingContext()),
      // Closed: VS Code asked whether to save it (Save keeps the code, Don't Save drops it).
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (document === this.preview?.document) this.end(this.preview);
      }),
    ];
  }

  /** Stop the generation in progress; true if there was one. */
  stop(): boolean {
    if (!this.running) return false;
    this.running.cancel();
    return true;
  }

  /** Keep the pending code. */
  accept(): void {
    if (!this.preview?.isPending) return;
    this.preview.accept();
    this.end(this.preview);
  }

  /** Drop the pending code: the document is as it was before the generation. */
  async discard(): Promise<void> {
    const preview = this.preview;
    if (!preview?.isPending) return;
    await preview.discard();
    this.end(preview);
  }

  async run(editor: vscode.TextEditor | undefined): Promise<void> {
    if (!editor) {
      void vscode.window.showWarningMessage("Open a file and place the cursor (or select code) to generate code.");
      return;
    }
    if (this.running) {
      void vscode.window.showInformationMessage("Ollama is already generating code: stop it first (Escape).");
      return;
    }
    const selection = editor.selection;
    const instruction = await vscode.window.showInputBox({
      title: "Ollama: Generate Code",
      prompt: selection.isEmpty ? "What should be written at the cursor?" : "What should change in the selection?",
      placeHolder: selection.isEmpty ? "e.g. a function that parses ISO dates" : "e.g. add input validation",
      ignoreFocusOut: true,
    });
    if (!instruction?.trim() || this.running) return;
    // Asking for new code means the user is done with the code waiting for a decision.
    this.accept();

    const range = new vscode.Range(selection.start, selection.end);
    const cancel = (this.running = new vscode.CancellationTokenSource());
    const preview: CodePreview = new CodePreview(editor, range, () => {
      if (this.running === cancel && !cancel.token.isCancellationRequested) {
        cancel.cancel();
        void vscode.window.showWarningMessage("Ollama: generation stopped because the preview was edited.");
      }
      this.end(preview);
    });
    this.preview = preview;
    this.cutShort = undefined;
    this.lenses.refresh();
    await vscode.commands.executeCommand("setContext", STREAMING_CONTEXT_KEY, true);
    try {
      await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: "Ollama", cancellable: true },
        async (progress, progressCancel) => {
          progressCancel.onCancellationRequested(() => cancel.cancel());
          progress.report({ message: "Starting…" });
          const params: GenerateCodeParams = {
            uri: editor.document.uri.toString(),
            range: { start: range.start, end: range.end },
            instruction,
            // The preview occupies the document meanwhile: the extension applies the edit itself.
            apply: false,
          };
          const result = await this.server.execute<GenerateCodeResult>(Command.GENERATE_CODE, params, cancel.token, {
            onToken: (token) => {
              if (token.stage === "code" && token.kind === "content") preview.append(token.revision ?? 0, token.text);
            },
            onProgress: (value) => {
              if (value.kind === "report") progress.report({ message: value.message });
            },
          });
          // The server sends one TextDocumentEdit of plain TextEdits; the LSP type allows more.
          const edits = (result.edit.documentChanges ?? []).flatMap((change) =>
            TextDocumentEdit.is(change) ? change.edits.filter((edit) => TextEdit.is(edit)) : [],
          );
          this.models.noteSuccess();
          if (!(await preview.propose(edits))) throw new Error("the editor rejected the generated edit");
          this.cutShort = describeCutShort(result.notes);
        },
      );
    } catch (error) {
      await preview.discard();
      if (!cancel.token.isCancellationRequested) {
        this.models.noteFailure(error);
        void vscode.window.showErrorMessage(`Ollama: code generation failed: ${describeError(error)}`);
      }
    } finally {
      cancel.dispose();
      this.running = undefined;
      await vscode.commands.executeCommand("setContext", STREAMING_CONTEXT_KEY, false);
    }
    if (preview.isPending) {
      this.lenses.refresh();
      await this.updatePendingContext();
      if (this.cutShort) void this.warnCutShort(this.cutShort);
    } else {
      this.end(preview);
    }
  }

  dispose(): void {
    this.running?.cancel();
    this.preview?.dispose();
    this.subscriptions.forEach((subscription) => subscription.dispose());
  }

  /** Said once the code is pending (the progress notification is gone by then). */
  private async warnCutShort({ message, setting }: CutShort): Promise<void> {
    const openSettings = "Open Settings";
    const choice = await vscode.window.showWarningMessage(message, ...(setting ? [openSettings] : []));
    if (choice === openSettings) await vscode.commands.executeCommand("workbench.action.openSettings", setting);
  }

  private end(preview: CodePreview): void {
    preview.dispose();
    if (this.preview !== preview) return;
    this.preview = undefined;
    this.cutShort = undefined;
    this.lenses.refresh();
    void this.updatePendingContext();
  }

  private async updatePendingContext(): Promise<void> {
    const pending = this.preview?.isPending === true && vscode.window.activeTextEditor?.document === this.preview.document;
    await vscode.commands.executeCommand("setContext", PENDING_CONTEXT_KEY, pending);
  }
}
