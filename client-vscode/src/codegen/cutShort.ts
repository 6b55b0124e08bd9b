// What the user is told when a stage of the generation was cut short (the result's `notes`): a
// warning when the code arrives, and a label in the pending code's CodeLens until Accept / Discard.

export interface CutShort {
  /** The warning notification: the notes in full, settings named plainly (no Markdown there). */
  message: string;
  /** The CodeLens label's hover: one note a line. */
  tooltip: string;
  /** The first `ollama.*` setting a note names (Open Settings), if any. */
  setting: string | undefined;
}

/** How `notes` are shown; undefined when every stage ended on its own. */
export function describeCutShort(notes: readonly string[]): CutShort | undefined {
  if (notes.length === 0) return undefined;
  const plain = notes.map((note) => note.replace(/`([^`]*)`/g, "$1"));
  return {
    message: `Ollama: check the generated code before accepting it. ${plain.join(" ")}`,
    tooltip: plain.join("\n"),
    setting: /`(ollama\.[\w.]+)`/.exec(notes.join(" "))?.[1],
  };
}
