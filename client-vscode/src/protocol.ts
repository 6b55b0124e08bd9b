// Generated from server/protocol.py by scripts/generate_protocol.py: do not edit.
// After changing the protocol, run `.venv/bin/python scripts/generate_protocol.py` in the repository root.
import type { Range, WorkspaceEdit } from "vscode-languageclient/node";

/** Commands the client runs with `workspace/executeCommand` and exactly one object argument. */
export const Command = {
  /** Answer a prompt within a conversation; the answer streams. */
  CHAT: "ollama.chat",
  /** The models the backend offers, and the default one. */
  LIST_MODELS: "ollama.listModels",
  /** Release a conversation from memory (an unknown id is a no-op); its stored copy stays. */
  RESET_CONVERSATION: "ollama.resetConversation",
  /**
   * Write code for a selection or at the cursor: plan → code → review (→ revise → review), every stage
   * streaming; ends with an edit of the document.
   */
  GENERATE_CODE: "ollama.generateCode",
  /** The stored conversations, most recently updated first, a page at a time. */
  LIST_CONVERSATIONS: "ollama.listConversations",
  /** A stored conversation with all its turns. */
  GET_CONVERSATION: "ollama.getConversation",
  /** Delete a conversation from storage and memory. */
  DELETE_CONVERSATION: "ollama.deleteConversation",
} as const;
export type Command = (typeof Command)[keyof typeof Command];

/** A snippet of an open document, or of a file under a workspace folder. */
export interface ContextRef {
  uri: string;
  /** The whole document when absent. */
  range?: Range;
}

export interface ChatParams {
  /** Not empty; at most `limits.maxPromptChars` characters. */
  prompt: string;
  /**
   * Absent: a new conversation. A stored one continues, also after a restart (its last
   * `chat.maxHistoryMessages` messages are loaded). Unknown: a new one under that id.
   */
  conversationId?: string;
  /** Default: the `model` setting. */
  model?: string;
  /**
   * Snippets put into the prompt with their file name and language, within `chat.maxContextChars`; a binary
   * file is left out (the prompt says so).
   */
  context?: ContextRef[];
  /**
   * Generation options in camelCase (`temperature`, `numCtx`, `topP`, `topK`, `numPredict`, `seed`, `stop`,
   * ...); each backend maps them to its own names.
   */
  options?: Record<string, unknown>;
}

export interface Usage {
  /** null when the backend does not count. */
  promptTokens: number | null;
  completionTokens: number | null;
}

export interface Timings {
  /** From the request's arrival to the first streamed delta (null when none came). */
  firstTokenMs: number | null;
  totalMs: number;
}

export interface ChatResult {
  /** The conversation's id (the one given, or a new one): send it with the next prompt. */
  conversationId: string;
  /** The whole answer. */
  text: string;
  /** Reasoning of thinking models, never mixed into `text` ("" when the model sent none). */
  thinking: string;
  /** The model that answered (for the embedded backend, its file's name). */
  model: string;
  /** `length`: the answer was cut at the model's token limit. */
  doneReason: "stop" | "length";
  usage: Usage;
  /**
   * The conversation had been forgotten (memory holds the last `chat.maxConversations`, and storage was off
   * or failed): the model did not see its earlier turns, and it starts over from this prompt.
   */
  historyForgotten: boolean;
  timings: Timings;
}

export interface ModelEntry {
  name: string;
  /** Size on disk, when the backend knows. */
  sizeBytes: number | null;
  /** When the model was installed or changed (ISO 8601), when the backend knows. */
  modifiedAt: string | null;
}

export interface ListModelsResult {
  models: ModelEntry[];
  /** The model used when a command names none (the `model` setting). */
  default: string;
  /**
   * Who answers, as a user reads it: "Ollama", "the OpenAI-compatible server", "the embedded model" (with
   * `backend: "auto"`, the one it chose).
   */
  backend: string;
  /**
   * The model that answers whatever model a command names (the embedded backend: its file); absent when the
   * named model answers.
   */
  fixedModel?: string;
}

export interface ResetConversationParams {
  conversationId: string;
}

/** Where conversations are stored, and whether that works. */
export interface StorageStatus {
  /** false: setting `storage.enabled` is off; conversations live in memory only. */
  enabled: boolean;
  /** The SQLite file (null when storage is off). */
  path: string | null;
  /**
   * What went wrong and where the file is, once storage failed: conversations are then kept in memory only,
   * until the server restarts.
   */
  problem: string | null;
}

export interface ListConversationsParams {
  /** Only conversations held in this server's workspace folders. */
  thisWorkspace?: boolean;
  /** Only titles containing this text (ASCII letters in any case). */
  titleContains?: string;
  /** The most conversations in the page (1 to `MAX_PAGE`). */
  limit?: number;
  /** The previous page's `nextCursor`. */
  cursor?: string;
}

/** The most conversations `ollama.listConversations` answers at once. */
export const MAX_PAGE = 200;

export interface ConversationSummary {
  id: string;
  /** The first line of the first prompt (at most 80 characters). */
  title: string;
  /** The first workspace folder of the window where it was held (null: none). */
  workspaceFolder: string | null;
  /** ISO 8601 in UTC (`2026-12-01T06:30:00.123Z`). */
  createdAt: string;
  updatedAt: string;
  /** Prompts and answers stored (an interrupted answer counts). */
  messageCount: number;
}

export interface ListConversationsResult {
  /** Most recently updated first. */
  conversations: ConversationSummary[];
  /** Send it as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
  storage: StorageStatus;
}

/** Argument of `ollama.getConversation` and `ollama.deleteConversation`. */
export interface ConversationParams {
  conversationId: string;
}

export interface ConversationTurn {
  role: "user" | "assistant";
  /** What the user typed (without the editor context sent with it), or the answer as far as it came. */
  text: string;
  /**
   * The answer was stopped or failed before it was complete; continuing the conversation tells the model so.
   */
  interrupted: boolean;
  /**
   * The interruption was the model server's error, not a stop (false for answers stored by versions that did
   * not tell them apart).
   */
  failed: boolean;
  /** The model that answered (null for the user's turns). */
  model: string | null;
  /** ISO 8601 in UTC. */
  createdAt: string;
}

export interface GetConversationResult {
  conversation: ConversationSummary;
  /** Oldest first, every turn stored (more than a prompt sends: see `chat.maxHistoryMessages`). */
  turns: ConversationTurn[];
}

export interface DeleteConversationResult {
  /** false: the conversation was neither stored nor in memory. */
  deleted: boolean;
}

/** The most revisions one request may ask for (each one is two more model calls). */
export const MAX_REVISIONS = 5;

export interface GenerateCodeParams {
  /** An open document, or a file under a workspace folder. */
  uri: string;
  /** The selection; an empty range is the cursor. In the negotiated position encoding. */
  range: Range;
  /** What to do ("add input validation"): not empty, at most `limits.maxPromptChars`. */
  instruction: string;
  /** Default: the `model` setting. */
  model?: string;
  /** Send `workspace/applyEdit` at the end; false: only return the edit. */
  apply?: boolean;
  /** False skips the review and the revisions. */
  review?: boolean;
  /** How often a review's problems may send the code back for revision (0 to `MAX_REVISIONS`). */
  maxRevisions?: number;
  /** Generation options for every stage, as for `ollama.chat`. */
  options?: Record<string, unknown>;
}

export interface GenerateCodeResult {
  /** The code of the final revision: exactly its code deltas joined. */
  code: string;
  plan: string;
  /** The last review's text (null when `review` was false). */
  review: string | null;
  /** How many revisions were done. */
  revisions: number;
  /**
   * One TextDocumentEdit for the document's synced version when the request arrived (version null for a file
   * that is not open): `code` fitted into the document.
   */
  edit: WorkspaceEdit;
  /** Whether the client applied the edit the server sent (false with `apply: false`). */
  applied: boolean;
  /**
   * Stages cut short, one sentence each: a token budget reached (the code may be incomplete) or the model
   * repeating itself (the repeats were dropped). Empty when every stage ended.
   */
  notes: string[];
  /** Why the edit was not applied: the document changed meanwhile, or the client's reason. */
  failureReason?: string;
}

/** What a stream's text belongs to: `chat`, or a stage of `ollama.generateCode`. */
export type Stage = "chat" | "plan" | "code" | "review";

/** What a streamed text is: the answer, or the reasoning of a thinking model. */
export type TextKind = "content" | "thinking";

/** Server → client notification carrying one batch of streamed text. */
export const TOKEN_NOTIFICATION = "ollama/token";

/** Params of `ollama/token`: one flushed batch of one stage and one kind. */
export interface TokenBatch {
  /** The request's progress token, or its request id when it has none: routes the text to its view. */
  token: number | string;
  /** 0, 1, 2, ... per request, without gaps, across stages and kinds. */
  seq: number;
  stage: Stage;
  kind: TextKind;
  text: string;
  /** `ollama.generateCode` only: 0 for the first writing, n for the n-th revision. */
  revision?: number;
}

/** `$/progress` value opening a stream. */
export interface ProgressBegin {
  kind: "begin";
  title: string;
  /** `window/workDoneProgress/cancel` stops the request like `$/cancelRequest`. */
  cancellable: boolean;
}

/** `$/progress` report that a stage starts (commands with stages); it has no `text`. */
export interface ProgressStageReport {
  kind: "report";
  /** The stage's label (`Writing code…`). */
  message: string;
  stage: Stage;
  revision?: number;
}

/** `$/progress` report per flushed batch: the same text as its `ollama/token`. */
export interface ProgressTextReport {
  kind: "report";
  /** The stage's label and the deltas so far (≈ tokens): `Generating · 42 tokens`. */
  message: string;
  text: string;
  textKind: TextKind;
  stage: Stage;
  revision?: number;
}

/** `$/progress` value closing a stream, sent before the response. */
export interface ProgressEnd {
  kind: "end";
  /** `Done`, `Cancelled`, or the error's message. */
  message: string;
}

/** The `$/progress` values a stream sends, in this order: begin, reports, end. */
export type ProgressValue = ProgressBegin | ProgressStageReport | ProgressTextReport | ProgressEnd;

/** Params of `$/progress` (standard LSP) carrying our values. */
export interface Progress {
  /** The request's `workDoneToken`, or the one the server created for it. */
  token: number | string;
  value: ProgressValue;
}

export const REQUEST_CANCELLED = -32800;

export const INVALID_PARAMS = -32602;

export const REQUEST_FAILED = -32803;

/**
 * `data.kind` of a RequestFailed error; `noCode`: `ollama.generateCode` found no code in the model's answer;
 * `notFound`: no stored conversation has that id; `storageUnavailable`: storage is off or failed (the message
 * says what happened and where the file is).
 */
export type FailureKind = "unreachable" | "modelNotFound" | "streamError" | "streamDropped" | "timeout" | "poolTimeout" | "notAModelServer" | "unauthorized" | "backendError" | "fimUnsupported" | "noCode" | "notFound" | "storageUnavailable";

export interface InvalidParamsData {
  /**
   * The path of the bad field: `prompt`, `context[0].range`, `range.start` (`""` for the argument list
   * itself).
   */
  field: string;
}

export interface RequestFailedData {
  /** How it failed (the message says what to do). */
  kind: FailureKind;
  /** The answer's text so far, when some had arrived (with stages: the failing stage's text). */
  partialText?: string;
  /** The stage that failed, for commands with stages. */
  stage?: Stage;
}

/**
 * Each progress line the embedded model's set-up prints on stderr starts with this; the rest is for the user
 * (VS Code shows it in the set-up's notification).
 */
export const SETUP_PROGRESS_PREFIX = "==> ";

/** The one line saying why the set-up failed (it exits with status 1) starts with this. */
export const SETUP_FAILURE_PREFIX = "ollama-lsp setup-embedded: ";

/**
 * The file the set-up leaves in the environment it set up: VS Code sets the embedded model up again in a new
 * server environment (an upgrade) when the old one had this.
 */
export const SETUP_DONE_MARKER = ".llama-cpp-python-build";

/** The keys of the server's settings (server/config.py), dotted: `timeouts.idleS`. */
export const SETTING_KEYS = [
  "backend",
  "baseUrl",
  "model",
  "apiKey",
  "streaming.flushIntervalMs",
  "timeouts.connectS",
  "timeouts.firstTokenS",
  "timeouts.idleS",
  "chat.systemPrompt",
  "chat.maxHistoryMessages",
  "chat.maxConversations",
  "chat.maxContextChars",
  "limits.maxPromptChars",
  "limits.maxConnections",
  "storage.enabled",
  "storage.path",
  "storage.maxConversations",
  "storage.maxAgeDays",
  "codegen.contextChars",
  "codegen.maxTokens.plan",
  "codegen.maxTokens.code",
  "codegen.maxTokens.review",
  "completion.enabled",
  "completion.model",
  "completion.debounceMs",
  "completion.maxTokens",
  "completion.maxTimeMs",
  "completion.prefixLines",
  "completion.suffixLines",
  "completion.fimTemplate",
  "completion.keepAlive",
  "embedded.modelPath",
  "embedded.threads",
  "embedded.contextSize",
] as const;
