// Hosts the chat webview in the side bar view and in editor tabs; one ChatSession per webview.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { FromWebview, ToWebview } from "../../shared/messages";
import type { EditorTracker } from "../editorTracker";
import { showHistory, type HistoryTarget } from "../history/historyPicker";
import type { OpenConversationMemory } from "../history/storedConversation";
import type { OllamaLanguageServer } from "../languageServer";
import type { ModelCatalog } from "../modelCatalog";
import { chatHtml } from "./chatHtml";
import { ChatSession } from "./chatSession";

export const CHAT_VIEW_ID = "ollama.chatView";

export class ChatViews implements vscode.WebviewViewProvider, vscode.Disposable {
  private readonly sessions = new Set<ChatSession>();
  private sideBarSession: ChatSession | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly server: OllamaLanguageServer,
    private readonly models: ModelCatalog,
    private readonly editors: EditorTracker,
    private readonly memory: OpenConversationMemory,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    // The view's title bar has the New chat action.
    this.sideBarSession = this.attach(view.webview, view, { toolbarActions: false, memory: this.memory });
  }

  /** Show the side bar chat with the focus in its prompt. */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    // A view created just now focuses its prompt itself once its page has loaded.
    this.sideBarSession?.focusPrompt();
  }

  openInEditor(): void {
    const panel = vscode.window.createWebviewPanel("ollama.chatPanel", "Ollama Chat", vscode.ViewColumn.Beside, {
      ...this.webviewOptions(),
      retainContextWhenHidden: true,
    });
    this.attach(panel.webview, panel, { toolbarActions: true });
  }

  /** New chat in the side bar view. */
  newChat(): void {
    void this.sideBarSession?.handle({ type: "newChat" });
  }

  /** Show a stored conversation in the side bar chat; false when it is gone. */
  async openStored(conversationId: string): Promise<boolean> {
    const session = this.sideBarSession;
    if (session) {
      const opened = await session.openStored(conversationId);
      if (opened) await this.reveal();
      return opened;
    }
    // The view's page is not there yet: it shows the remembered conversation once it is.
    this.memory.remember(conversationId);
    await this.reveal();
    return true;
  }

  /** The history list choosing into `session`'s chat (an editor tab's own button). */
  private historyTarget(session: ChatSession): HistoryTarget {
    return {
      openStored: (conversationId) => session.openStored(conversationId),
      conversationDeleted: (conversationId) => this.conversationDeleted(conversationId),
    };
  }

  /** A conversation was deleted: a chat showing it starts anew rather than continue it. */
  conversationDeleted(conversationId: string): void {
    for (const session of this.sessions) {
      if (session.openConversationId === conversationId) void session.handle({ type: "newChat" });
    }
  }

  /** Stop every answer being written; true if there was one. */
  stopAll(): boolean {
    let stopped = false;
    for (const session of this.sessions) stopped = session.stop() || stopped;
    return stopped;
  }

  private webviewOptions(): vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, "dist")] };
  }

  private attach(
    webview: vscode.Webview,
    host: { onDidDispose: vscode.Event<void> },
    { toolbarActions, memory }: { toolbarActions: boolean; memory?: OpenConversationMemory },
  ): ChatSession {
    webview.options = this.webviewOptions();
    const dist = vscode.Uri.joinPath(this.extensionUri, "dist");
    webview.html = chatHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "webview.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "webview-style.css")).toString(),
      nonce: randomBytes(16).toString("base64"),
      toolbarActions,
    });
    const post = (message: ToWebview): void => void webview.postMessage(message);
    const session = new ChatSession(this.server, this.models, this.editors, post, memory);
    this.sessions.add(session);
    const subscriptions = [
      webview.onDidReceiveMessage((message: FromWebview) =>
        message.type === "showHistory" ? showHistory(this.server, this.historyTarget(session)) : session.handle(message),
      ),
      this.models.onDidChange(() => post({ type: "models", list: this.models.list })),
    ];
    host.onDidDispose(() => {
      subscriptions.forEach((subscription) => subscription.dispose());
      session.dispose();
      this.sessions.delete(session);
      if (this.sideBarSession === session) this.sideBarSession = undefined;
    });
    return session;
  }

  dispose(): void {
    this.sessions.forEach((session) => session.dispose());
  }
}
