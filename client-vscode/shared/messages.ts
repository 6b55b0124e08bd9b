// Messages between the chat webview and the extension (both sides import this file).

export type DeltaKind = "content" | "thinking";

export interface ModelList {
  models: string[];
  selected: string;
}

/** How an answer ended. An error names the setting that fixes it, if one does, and whether
 * setting up the embedded model would (no model server reachable, and no embedded model yet). */
export type AnswerEnd =
  | { status: "done"; text: string; thinking: string }
  | { status: "stopped" }
  | { status: "error"; message: string; setting?: string; offerEmbeddedSetup?: boolean };

/** A turn of a stored conversation; an interrupted answer is shown stopped, or failed. */
export interface PastTurn {
  role: "user" | "assistant";
  text: string;
  interrupted: boolean;
  /** The interruption was the model server's error, not a stop. */
  failed: boolean;
  /** The model that answered (null for the user's turns). */
  model: string | null;
}

export type ToWebview =
  | { type: "models"; list: ModelList }
  | { type: "answerStart"; answerId: string; prompt: string; model: string }
  | { type: "delta"; answerId: string; seq: number; kind: DeltaKind; text: string }
  /** `answeredBy`: the model that answered, when known (the embedded backend answers with its
   * file whatever model was picked). `notice` (Markdown): shown above the answer, e.g. that the
   * model did not see the earlier turns. */
  | { type: "answerEnd"; answerId: string; end: AnswerEnd; answeredBy?: string; notice?: string }
  | { type: "cleared" }
  /** Whether the editor the code actions target has a selection (sent when that changes). */
  | { type: "editorSelection"; hasSelection: boolean }
  /** The chat was opened or revealed by a command: typing should go to the prompt. */
  | { type: "focusPrompt" }
  /** A stored conversation replaces the one shown; the next prompt continues it. */
  | { type: "conversation"; turns: PastTurn[] };

export type CodeAction = "copy" | "insert" | "replace" | "newFile";

export type FromWebview =
  | { type: "ready" }
  | { type: "send"; prompt: string; model: string; includeSelection: boolean; includeFile: boolean }
  | { type: "stop" }
  | { type: "newChat" }
  /** The history list, choosing into this chat (editor tabs; the side bar has its title bar's). */
  | { type: "showHistory" }
  /** `language`: the fence's tag (`py`, `typescript`, …), absent for an untagged block. */
  | { type: "codeAction"; action: CodeAction; code: string; language?: string }
  /** Ask the prompt of a failed answer again, with the same model and context. */
  | { type: "retry"; answerId: string }
  | { type: "openSettings"; setting: string }
  | { type: "setUpEmbedded" };
