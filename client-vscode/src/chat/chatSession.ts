// One conversation shown in one chat webview: sends prompts, forwards the stream, stops it.
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import type { CodeAction, FromWebview, ToWebview } from "../../shared/messages";
import type { EditorTracker } from "../editorTracker";
import { SET_UP_EMBEDDED_COMMAND } from "../embeddedSetup";
import { describeError, offersEmbeddedSetup, settingToFix } from "../errors";
import { loadConversation, type OpenConversationMemory } from "../history/storedConversation";
import type { OllamaLanguageServer } from "../languageServer";
import type { ModelCatalog } from "../modelCatalog";
import { Command, type ChatParams, type ChatResult, type ContextRef } from "../protocol";
import { forgottenNotice } from "./forgottenNotice";
import { languageIdFor } from "./languageId";

interface ChatRequest {
  prompt: string;
  model: string;
  context: ContextRef[];
}

export class ChatSession implements vscode.Disposable {
  // Chosen here rather than by the server, so that an answer stopped before the server's
  // first response still belongs to this conversation (the server keeps it in the history).
  private conversationId: string = randomUUID();
  private running: vscode.CancellationTokenSource | undefined;
  /** Requests whose answer failed, by answer id: Retry asks them again. */
  private readonly failed = new Map<string, ChatRequest>();
  private hasSelection: boolean | undefined;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly server: OllamaLanguageServer,
    private readonly models: ModelCatalog,
    private readonly editors: EditorTracker,
    private readonly post: (message: ToWebview) => void,
    /** The side bar's session only: its conversation comes back after a window reload. */
    private readonly memory?: OpenConversationMemory,
  ) {
    // Replace is offered only with a selection: the webview learns when that changes, not on
    // every cursor move.
    const update = (): void => this.postSelectionState();
    this.subscriptions = [vscode.window.onDidChangeTextEditorSelection(update), vscode.window.onDidChangeActiveTextEditor(update)];
  }

  async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case "ready":
        this.post({ type: "models", list: this.models.list });
        this.hasSelection = undefined;
        this.postSelectionState();
        void this.models.refresh();
        if (this.memory?.conversationId) await this.openStored(this.memory.conversationId);
        return;
      case "send":
        return this.send({ prompt: message.prompt, model: message.model, context: this.context(message.includeSelection, message.includeFile) });
      case "retry": {
        const request = this.failed.get(message.answerId);
        return request && this.send(request);
      }
      case "openSettings":
        // Only this extension's settings: the message comes from a page that shows model output.
        if (message.setting.startsWith("ollama.")) await vscode.commands.executeCommand("workbench.action.openSettings", message.setting);
        return;
      case "setUpEmbedded":
        await vscode.commands.executeCommand(SET_UP_EMBEDDED_COMMAND);
        return;
      case "stop":
        this.stop();
        return;
      case "newChat":
        return this.newChat();
      case "codeAction":
        return this.codeAction(message.action, message.code, message.language);
    }
  }

  focusPrompt(): void {
    this.post({ type: "focusPrompt" });
  }

  get openConversationId(): string {
    return this.conversationId;
  }

  /** Show a stored conversation; the next prompt continues it. False when it is gone. */
  async openStored(conversationId: string): Promise<boolean> {
    const turns = await loadConversation(this.server, conversationId);
    if (!turns) {
      if (this.memory?.conversationId === conversationId) this.memory.forget();
      return false;
    }
    this.running?.cancel();
    this.conversationId = conversationId;
    this.memory?.remember(conversationId);
    this.failed.clear();
    this.post({ type: "conversation", turns });
    return true;
  }

  /** Stop the answer being written, if any. */
  stop(): boolean {
    if (!this.running) return false;
    this.running.cancel();
    return true;
  }

  private async send(request: ChatRequest): Promise<void> {
    if (this.running) return; // the webview disables sending while an answer is written
    const { prompt, model, context } = request;
    const answerId = randomUUID();
    const cancel = (this.running = new vscode.CancellationTokenSource());
    this.post({ type: "answerStart", answerId, prompt, model: model || this.models.list.selected });
    const params: ChatParams = { prompt, conversationId: this.conversationId, model: model || undefined, context };
    this.memory?.remember(this.conversationId);
    try {
      const result = await this.server.execute<ChatResult>(Command.CHAT, params, cancel.token, {
        onToken: ({ seq, kind, text }) => this.post({ type: "delta", answerId, seq, kind, text }),
      });
      const notice = result.historyForgotten ? this.forgottenNotice() : undefined;
      this.post({ type: "answerEnd", answerId, end: { status: "done", text: result.text, thinking: result.thinking }, answeredBy: result.model, notice });
      this.models.noteSuccess();
    } catch (error) {
      const stopped = cancel.token.isCancellationRequested;
      if (stopped) {
        this.post({ type: "answerEnd", answerId, end: { status: "stopped" } });
      } else {
        this.failed.set(answerId, request);
        this.post({ type: "answerEnd", answerId, end: {
            status: "error",
            message: describeError(error),
            setting: settingToFix(error),
            offerEmbeddedSetup: offersEmbeddedSetup(error),
          },
        });
        this.models.noteFailure(error);
      }
    } finally {
      cancel.dispose();
      this.running = undefined;
    }
  }

  /** Why the model did not see the earlier turns, from the settings the server has. */
  private forgottenNotice(): string {
    const config = vscode.workspace.getConfiguration("ollama");
    return forgottenNotice(config.get<number>("chat.maxConversations", 50), config.get<boolean>("storage.enabled", true));
  }

  private context(includeSelection: boolean, includeFile: boolean): ContextRef[] {
    const editor = this.editors.editor;
    if (!editor) return [];
    const uri = editor.document.uri.toString();
    if (includeFile) return [{ uri }];
    if (includeSelection && !editor.selection.isEmpty) {
      const { start, end } = editor.selection;
      return [{ uri, range: { start: { line: start.line, character: start.character }, end: { line: end.line, character: end.character } } }];
    }
    return [];
  }

  private async newChat(): Promise<void> {
    this.running?.cancel();
    const previous = this.conversationId;
    this.conversationId = randomUUID();
    this.failed.clear();
    this.memory?.forget();
    this.post({ type: "cleared" });
    // Only frees the server's memory: a failure changes nothing for the user.
    await this.server.execute(Command.RESET_CONVERSATION, { conversationId: previous }).catch(() => undefined);
  }

  private postSelectionState(): void {
    const hasSelection = this.editors.editor?.selection.isEmpty === false;
    if (hasSelection === this.hasSelection) return;
    this.hasSelection = hasSelection;
    this.post({ type: "editorSelection", hasSelection });
  }

  private async codeAction(action: CodeAction, code: string, language: string | undefined): Promise<void> {
    if (action === "copy") {
      await vscode.env.clipboard.writeText(code);
      return;
    }
    if (action === "newFile") {
      const document = await vscode.workspace.openTextDocument({ content: code, language: languageIdFor(language, await vscode.languages.getLanguages()) });
      await vscode.window.showTextDocument(document);
      return;
    }
    const editor = this.editors.editor;
    if (!editor) {
      void vscode.window.showWarningMessage("Open a text editor to insert the code into.");
      return;
    }
    await editor.edit((edit) => {
      const target = action === "replace" ? editor.selection : new vscode.Range(editor.selection.active, editor.selection.active);
      edit.replace(target, code);
    });
  }

  dispose(): void {
    this.running?.cancel();
    this.subscriptions.forEach((subscription) => subscription.dispose());
  }
}
