import { expect, test } from "vitest";
import { forgottenNotice } from "../../../src/chat/forgottenNotice";

test("storage off: the memory's size and the setting that is off are named", () => {
  expect(forgottenNotice(50, false)).toBe(
    "The earlier turns of this conversation were forgotten (the server keeps only the last 50 conversations used in memory, `ollama.chat.maxConversations`, and `ollama.storage.enabled` is off): the model answered this prompt alone.",
  );
  expect(forgottenNotice(1, false)).toContain("keeps only the last conversation used in memory");
});

test("storage on: the history file could not give the conversation back", () => {
  expect(forgottenNotice(2, true)).toBe(
    "The earlier turns of this conversation were forgotten (the server keeps only the last 2 conversations used in memory, `ollama.chat.maxConversations`, and the history file could not give it back: reading it failed, or it no longer holds this conversation): the model answered this prompt alone.",
  );
});
