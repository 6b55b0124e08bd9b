// The server's custom protocol as the extension uses it (docs/protocol.md in the repo root).
import type { Range } from "vscode-languageclient/node";

export const ServerCommand = {
  chat: "ollama.chat",
  listModels: "ollama.listModels",
  resetConversation: "ollama.resetConversation",
  generateCode: "ollama.generateCode",
} as const;

export const TOKEN_NOTIFICATION = "ollama/token";

export type Stage = "chat" | "plan" | "code" | "review";

export interface TokenParams {
  /** The request's progress token (or its id when it had none): routes text to its view. */
  token: string | number;
  seq: number;
  stage: Stage;
  kind: "content" | "thinking";
  text: string;
  /** Code deltas of `ollama.generateCode`: 0 for the first writing, n for the n-th revision. */
  revision?: number;
}

export interface ContextRef {
  uri: string;
  range?: Range;
}

export interface ChatParams {
  prompt: string;
  conversationId?: string;
  model?: string;
  context?: ContextRef[];
}

export interface ChatResult {
  conversationId: string;
  text: string;
  thinking: string;
  model: string;
  doneReason: string;
}

export interface ListModelsResult {
  models: { name: string }[];
  default: string;
}

export interface GenerateCodeParams {
  uri: string;
  range: Range;
  instruction: string;
  model?: string;
  apply?: boolean;
  review?: boolean;
  maxRevisions?: number;
}

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface GenerateCodeResult {
  code: string;
  plan: string;
  review: string | null;
  revisions: number;
  edit: { documentChanges: { textDocument: { uri: string; version: number | null }; edits: TextEdit[] }[] };
  applied: boolean;
  failureReason?: string;
}

/** `data` of a -32803 RequestFailed error. */
export interface RequestFailedData {
  kind: "unreachable" | "modelNotFound" | "streamError" | "streamDropped" | "timeout" | "backendError" | "noCode";
  partialText?: string;
  stage?: Stage;
}

export const ErrorCode = { requestCancelled: -32800, requestFailed: -32803, invalidParams: -32602 } as const;
