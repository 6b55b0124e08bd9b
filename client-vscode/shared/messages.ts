// Messages between the chat webview and the extension (both sides import this file).

export type DeltaKind = "content" | "thinking";

export interface ModelList {
  models: string[];
  selected: string;
}

/** How an answer ended. */
export type AnswerEnd =
  | { status: "done"; text: string; thinking: string }
  | { status: "stopped" }
  | { status: "error"; message: string };

export type ToWebview =
  | { type: "models"; list: ModelList }
  | { type: "answerStart"; answerId: string; prompt: string }
  | { type: "delta"; answerId: string; seq: number; kind: DeltaKind; text: string }
  | { type: "answerEnd"; answerId: string; end: AnswerEnd }
  | { type: "cleared" };

export type CodeAction = "copy" | "insert" | "replace";

export type FromWebview =
  | { type: "ready" }
  | { type: "send"; prompt: string; model: string; includeSelection: boolean; includeFile: boolean }
  | { type: "stop" }
  | { type: "newChat" }
  | { type: "codeAction"; action: CodeAction; code: string };
