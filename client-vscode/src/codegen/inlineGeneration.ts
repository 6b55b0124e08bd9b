// "Ollama: Generate Code…": ask for an instruction, stream the code into the editor as a marked
// preview while the progress notification shows the stage, then apply it as one undo step.
// Cancel (the notification's button, Escape, "Ollama: Stop Generation") restores the document.
import * as vscode from "vscode";
import { TextDocumentEdit, TextEdit } from "vscode-languageclient/node";
import { describeError } from "../errors";
import type { OllamaLanguageServer } from "../languageServer";
import type { ModelCatalog } from "../modelCatalog";
import { Command, type GenerateCodeParams, type GenerateCodeResult } from "../protocol";
import { CodePreview } from "./codePreview";

const PREVIEW_CONTEXT_KEY = "ollamaLsp.previewActive";

export class InlineGenerator implements vscode.Disposable {
  private running: vscode.CancellationTokenSource | undefined;

  constructor(
    private readonly server: OllamaLanguageServer,
    private readonly models: ModelCatalog,
  ) {}

  /** Stop the generation in progress; true if there was one. */
  stop(): boolean {
    if (!this.running) return false;
    this.running.cancel();
    return true;
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
    if (!instruction?.trim()) return;

    const range = new vscode.Range(selection.start, selection.end);
    const cancel = (this.running = new vscode.CancellationTokenSource());
    const preview = new CodePreview(editor, range, editor.document.getText(range), () => {
      cancel.cancel();
      void vscode.window.showWarningMessage("Ollama: generation stopped because the preview was edited.");
    });
    await vscode.commands.executeCommand("setContext", PREVIEW_CONTEXT_KEY, true);
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
          if (!(await preview.commit(edits))) throw new Error("the editor rejected the generated edit");
        },
      );
    } catch (error) {
      await preview.revert();
      if (!cancel.token.isCancellationRequested) {
        this.models.noteFailure(error);
        void vscode.window.showErrorMessage(`Ollama: code generation failed: ${describeError(error)}`);
      }
    } finally {
      preview.dispose();
      cancel.dispose();
      this.running = undefined;
      await vscode.commands.executeCommand("setContext", PREVIEW_CONTEXT_KEY, false);
    }
  }

  dispose(): void {
    this.running?.cancel();
  }
}
