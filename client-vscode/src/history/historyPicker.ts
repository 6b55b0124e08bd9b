// "Ollama: Show Chat History": the stored conversations in a QuickPick (as Copilot Chat's "Show
// Chats…"), filtered by title as you type, this workspace's first; choosing one opens it in the
// chat panel, the trash button deletes one.
import * as vscode from "vscode";
import { describeError } from "../errors";
import type { OllamaLanguageServer } from "../languageServer";
import {
  Command,
  MAX_PAGE,
  type ConversationParams,
  type ConversationSummary,
  type DeleteConversationResult,
  type ListConversationsParams,
  type ListConversationsResult,
  type StorageStatus,
} from "../protocol";
import { historyRows } from "./historyItems";

export const SHOW_HISTORY_COMMAND = "ollamaLsp.showHistory";

interface ConversationItem extends vscode.QuickPickItem {
  conversationId?: string;
}

const DELETE_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon("trash"), tooltip: "Delete" };

export interface HistoryTarget {
  /** Show the conversation in the chat panel; false when it is gone. */
  openStored(conversationId: string): Promise<boolean>;
  conversationDeleted(conversationId: string): void;
}

/** Why the list is empty, when storage is the reason. */
function storageNote(storage: StorageStatus): string | undefined {
  if (!storage.enabled) return "Conversations are not stored: the setting ollama.storage.enabled is off.";
  return storage.problem ?? undefined;
}

export async function showHistory(server: OllamaLanguageServer, target: HistoryTarget): Promise<void> {
  const picker = vscode.window.createQuickPick<ConversationItem>();
  picker.title = "Chat History";
  picker.placeholder = "Search chats by title";
  picker.matchOnDescription = false;
  picker.matchOnDetail = false;
  picker.busy = true;
  let summaries: ConversationSummary[] = [];
  let shown = true;
  const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.toString());
  const showRows = (): void => {
    picker.items = historyRows(summaries, folders, new Date()).map((row) =>
      "heading" in row
        ? { label: row.heading, kind: vscode.QuickPickItemKind.Separator }
        : { ...row, buttons: [DELETE_BUTTON] },
    );
  };
  const subscriptions = [
    picker.onDidAccept(async () => {
      const conversationId = picker.selectedItems[0]?.conversationId;
      if (!conversationId) return;
      picker.hide();
      if (!(await target.openStored(conversationId))) void vscode.window.showWarningMessage("That conversation is no longer stored.");
    }),
    picker.onDidTriggerItemButton(async ({ item }) => {
      const conversationId = item.conversationId;
      if (!conversationId) return;
      try {
        const params: ConversationParams = { conversationId };
        await server.execute<DeleteConversationResult>(Command.DELETE_CONVERSATION, params);
      } catch (error) {
        void vscode.window.showErrorMessage(`Cannot delete the conversation: ${describeError(error)}`);
        return;
      }
      summaries = summaries.filter((summary) => summary.id !== conversationId);
      showRows();
      target.conversationDeleted(conversationId);
    }),
    picker.onDidHide(() => {
      shown = false;
      subscriptions.forEach((subscription) => subscription.dispose());
      picker.dispose();
    }),
  ];
  picker.show();
  try {
    // Every page: the QuickPick filters what it holds. Retention bounds how many there are.
    for (let cursor: string | undefined; ; ) {
      const params: ListConversationsParams = { limit: MAX_PAGE, ...(cursor ? { cursor } : {}) };
      const page = await server.execute<ListConversationsResult>(Command.LIST_CONVERSATIONS, params);
      summaries = [...summaries, ...page.conversations];
      showRows();
      const note = storageNote(page.storage);
      if (note) picker.placeholder = note;
      else if (summaries.length === 0) picker.placeholder = "No stored chats yet";
      if (!page.nextCursor || !shown) break;
      cursor = page.nextCursor;
    }
  } catch (error) {
    picker.hide();
    void vscode.window.showErrorMessage(`Cannot list the stored chats: ${describeError(error)}`);
  } finally {
    picker.busy = false;
  }
}
