// What the chat says above an answer whose conversation the server had forgotten (the result's
// `historyForgotten`): the server holds the last `chat.maxConversations` conversations in memory;
// beyond them one comes back only from the history file, when storage is on and can read it.

/** The notice (Markdown), from the settings the server was given. */
export function forgottenNotice(maxConversations: number, storageEnabled: boolean): string {
  const held = maxConversations === 1 ? "only the last conversation used" : `only the last ${maxConversations} conversations used`;
  const why = storageEnabled
    ? "and the history file could not give it back: reading it failed, or it no longer holds this conversation"
    : "and `ollama.storage.enabled` is off";
  return `The earlier turns of this conversation were forgotten (the server keeps ${held} in memory, \`ollama.chat.maxConversations\`, ${why}): the model answered this prompt alone.`;
}
