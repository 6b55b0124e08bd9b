// A stored conversation shown as it was: each prompt, each answer rendered like a streamed one
// under the name of the model that wrote it, an interrupted answer marked "Stopped" or failed.
import type { PastTurn } from "../shared/messages";
import { AnswerView } from "./answerView";
import { turnLabel, userMessage } from "./turns";

/** What a past failed answer says (the error itself is not stored). */
export const PAST_FAILURE = "This answer failed before it was complete (its error was not stored).";

function pastAnswer(document: Document, { text, interrupted, failed }: PastTurn): HTMLElement {
  // Finished at once, so it never waits for an animation frame.
  const answer = new AnswerView(document, () => undefined);
  answer.push({ seq: 0, kind: "content", text });
  if (!interrupted) answer.finish({ status: "done", text, thinking: "" });
  else answer.finish(failed ? { status: "error", message: PAST_FAILURE } : { status: "stopped" });
  return answer.element;
}

export function pastConversation(document: Document, turns: readonly PastTurn[]): Node[] {
  return turns.flatMap((turn) =>
    turn.role === "user"
      ? [turnLabel(document, "account", "You"), userMessage(document, turn.text)]
      : [turnLabel(document, "sparkle", turn.model ?? "unknown model"), pastAnswer(document, turn)],
  );
}
