// Where inserted text ends, in line/character terms (independent of the document's line endings).

export interface LineCharacter {
  line: number;
  character: number;
}

/** The position right after `text` when it is inserted at `start`. */
export function endOfInsertedText(start: LineCharacter, text: string): LineCharacter {
  const lines = text.split(/\r\n|\r|\n/);
  const last = lines[lines.length - 1];
  if (lines.length === 1) return { line: start.line, character: start.character + last.length };
  return { line: start.line + lines.length - 1, character: last.length };
}
