// Entry point: the language server, the status bar, the chat views, inline generation and the
// inline completion toggle (the language client asks the server for ghost text by itself).
import * as vscode from "vscode";
import { CHAT_VIEW_ID, ChatViews } from "./chat/chatView";
import { InlineGenerator } from "./codegen/inlineGeneration";
import { ACCEPT_COMMAND, DISCARD_COMMAND } from "./codegen/previewLenses";
import { CompletionStatusBar, toggleInlineCompletion } from "./completion/completionToggle";
import { TOGGLE_COMMAND } from "./completion/toggleState";
import { EditorTracker } from "./editorTracker";
import { SET_UP_EMBEDDED_COMMAND, setUpEmbeddedModel } from "./embeddedSetup";
import { SHOW_HISTORY_COMMAND, showHistory } from "./history/historyPicker";
import { OpenConversationMemory } from "./history/storedConversation";
import { OllamaLanguageServer } from "./languageServer";
import { ModelCatalog } from "./modelCatalog";
import { ModelStatusBar } from "./statusBar";

// Stopped on deactivation (VS Code awaits it; disposing the subscriptions does not wait).
let activeServer: OllamaLanguageServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("Ollama Language Server", { log: true });
  const server = (activeServer = new OllamaLanguageServer(output, context));
  const models = new ModelCatalog(server);
  const editors = new EditorTracker();
  const chats = new ChatViews(context.extensionUri, server, models, editors, new OpenConversationMemory(context.workspaceState));
  const generator = new InlineGenerator(server, models);

  context.subscriptions.push(
    output,
    server,
    models,
    editors,
    chats,
    generator,
    new ModelStatusBar(models),
    new CompletionStatusBar(),
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chats, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.commands.registerCommand("ollamaLsp.openChat", () => chats.reveal()),
    vscode.commands.registerCommand("ollamaLsp.openChatInEditor", () => chats.openInEditor()),
    vscode.commands.registerCommand("ollamaLsp.newChat", () => chats.newChat()),
    vscode.commands.registerCommand(SHOW_HISTORY_COMMAND, () => showHistory(server, chats)),
    vscode.commands.registerCommand("ollamaLsp.generateCode", () => generator.run(vscode.window.activeTextEditor)),
    vscode.commands.registerCommand("ollamaLsp.stopGeneration", () => generator.stop() || chats.stopAll()),
    vscode.commands.registerCommand(ACCEPT_COMMAND, () => generator.accept()),
    vscode.commands.registerCommand(DISCARD_COMMAND, () => generator.discard()),
    vscode.commands.registerCommand("ollamaLsp.pickModel", () => models.pick()),
    vscode.commands.registerCommand(TOGGLE_COMMAND, toggleInlineCompletion),
    vscode.commands.registerCommand("ollamaLsp.restartServer", () => server.restart()),
    vscode.commands.registerCommand("ollamaLsp.showLog", () => output.show()),
    vscode.commands.registerCommand(SET_UP_EMBEDDED_COMMAND, () => setUpEmbeddedModel(server)),
    vscode.commands.registerCommand("ollamaLsp.setApiKey", async () => {
      if (await server.apiKeys.promptAndStore()) await server.restart();
    }),
    server.onDidChangeState(() => void models.refresh()),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration("ollama")) return;
      if (event.affectsConfiguration("ollama.server")) {
        await server.restart();
      } else {
        await server.pushSettings();
      }
      models.notifyConfigurationChanged();
      await models.refresh();
    }),
  );
  // Not awaited: the first start may install the server (a minute), and VS Code holds this
  // extension's commands (Open Chat …) until activation ends; requests wait for the start.
  void server.start();
  // Not awaited: the warning waits for the user.
  void server.apiKeys.warnAboutPlainKey().then(async (moved) => {
    if (moved) await server.restart();
  });
}

export async function deactivate(): Promise<void> {
  await activeServer?.stop();
}
