// A stored conversation in the chat panel: fetched from the server to be shown as it was, and
// which one the side bar had open, remembered per workspace so a window reload brings it back.
import type * as vscode from "vscode";
import type { PastTurn } from "../../shared/messages";
import { describeError, failureKind } from "../errors";
import type { OllamaLanguageServer } from "../languageServer";
import { Command, type ConversationParams, type GetConversationResult } from "../protocol";

/** The stored turns, oldest first; undefined when the conversation is gone (deleted, retention,
 * storage off or failed: the panel then starts empty, no error to show). */
export async function loadConversation(server: OllamaLanguageServer, conversationId: string): Promise<PastTurn[] | undefined> {
  try {
    const params: ConversationParams = { conversationId };
    const { turns } = await server.execute<GetConversationResult>(Command.GET_CONVERSATION, params);
    return turns.map(({ role, text, interrupted, failed, model }) => ({ role, text, interrupted, failed, model }));
  } catch (error) {
    if (failureKind(error) !== "notFound") server.output.warn(`cannot load conversation ${conversationId}: ${describeError(error)}`);
    return undefined;
  }
}

const OPEN_CONVERSATION_KEY = "ollamaLsp.openConversation";

/** The conversation open in the side bar chat, in the workspace's state. */
export class OpenConversationMemory {
  constructor(private readonly state: vscode.Memento) {}

  get conversationId(): string | undefined {
    return this.state.get<string>(OPEN_CONVERSATION_KEY);
  }

  remember(conversationId: string): void {
    if (this.conversationId !== conversationId) void this.state.update(OPEN_CONVERSATION_KEY, conversationId);
  }

  forget(): void {
    void this.state.update(OPEN_CONVERSATION_KEY, undefined);
  }
}
