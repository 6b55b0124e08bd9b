// Positions in line/character terms, independent of the document's line endings.

export interface LineCharacter {
  line: number;
  character: number;
}

export interface TextChange {
  range: { start: LineCharacter; end: LineCharacter };
  text: string;
}

/** The position right after `text` when it is inserted at `start`. */
export function endOfInsertedText(start: LineCharacter, text: string): LineCharacter {
  const lines = text.split(/\r\n|\r|\n/);
  const last = lines[lines.length - 1];
  if (lines.length === 1) return { line: start.line, character: start.character + last.length };
  return { line: start.line + lines.length - 1, character: last.length };
}

export function compare(a: LineCharacter, b: LineCharacter): number {
  return a.line - b.line || a.character - b.character;
}

/** Where `position` is after `change`, which ends at or before it. */
export function shiftedBy(position: LineCharacter, change: TextChange): LineCharacter {
  const { start, end } = change.range;
  const newEnd = endOfInsertedText(start, change.text);
  if (position.line > end.line) return { line: position.line + newEnd.line - end.line, character: position.character };
  return { line: newEnd.line, character: newEnd.character + position.character - end.character };
}

/** The index of `text`'s first line that is not blank (0 if none is). */
export function firstNonBlankLine(text: string): number {
  return Math.max(0, text.split(/\r\n|\r|\n/).findIndex((line) => line.trim() !== ""));
}

/** The index of `text`'s last line that is not blank (0 if none is). */
export function lastNonBlankLine(text: string): number {
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = lines.length - 1; i > 0; i--) if (lines[i].trim() !== "") return i;
  return 0;
}
