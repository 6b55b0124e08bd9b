// Blank lines around generated code, spaced the way the file spaces its blocks: PEP 8 in Python
// (two around a top-level def or class, one around a method), elsewhere the count the file
// itself leaves between blocks at that indentation. Pure: the document is a string.
import { firstNonBlankLine, lastNonBlankLine, type TextChange } from "./textGeometry";

const LINE_BREAK = /\r\n|\r|\n/;
const PYTHON_DEFINITION = /^\s*(@|(async\s+)?def\b|class\b)/;
const PYTHON_COMMENT = /^\s*#/;
const OTHER_COMMENT = /^\s*(\/\/|\/\*|\*|--)/;
/** A line that closes a block: no blank line goes before it. */
const CLOSER = /^\s*([)\]}]|end\b|<\/)/;
/** Used where the file has no two blocks at the code's indentation to learn from. */
const DEFAULT_BLANK_LINES = 1;

export interface SpacedChange extends TextChange {
  /** The lines of the code in `text` (counted from the range's first line). */
  codeLines: { first: number; last: number };
}

/** `change` widened over the blank lines next to the code it writes, so that the code ends up
 * with the file's spacing above and below it. Code that shares a line with other text is
 * left as it is. */
export function spaceBlankLines(document: string, change: TextChange, languageId: string): SpacedChange {
  const unchanged = { ...change, codeLines: { first: firstNonBlankLine(change.text), last: lastNonBlankLine(change.text) } };
  const lines = document.split(LINE_BREAK);
  const { start, end } = change.range;
  const before = lines[start.line].slice(0, start.character);
  const after = lines[end.line].slice(end.character);
  const ownLines = (isBlank(before) || startsWithBreak(change.text)) && (isBlank(after) || endsWithBreak(change.text));
  if (!ownLines) return unchanged;
  const eol = LINE_BREAK.exec(document)?.[0] ?? LINE_BREAK.exec(change.text)?.[0] ?? "\n";

  // The document as the change leaves it, where the code's lines are found.
  const written = (before + change.text + after).split(LINE_BREAK);
  const result = [...lines.slice(0, start.line), ...written, ...lines.slice(end.line + 1)];
  const addedLines = written.length - (end.line - start.line + 1);
  let codeFirst = start.line + (isBlank(before) ? 0 : 1);
  let codeLast = start.line + written.length - (isBlank(after) ? 1 : 2);
  while (codeFirst <= codeLast && isBlank(result[codeFirst])) codeFirst++;
  while (codeLast >= codeFirst && isBlank(result[codeLast])) codeLast--;
  if (codeFirst > codeLast) return unchanged;

  // The blank lines next to the code join the change: it decides how many stay.
  let first = codeFirst;
  while (first > 0 && isBlank(result[first - 1])) first--;
  let next = codeLast + 1;
  while (next < result.length && isBlank(result[next])) next++;
  const spacing = new Spacing(lines, languageId);
  const blankAbove = first === 0 ? 0 : spacing.between(result, first - 1, codeFirst, codeFirst - first);
  const atEnd = next === result.length;
  const blankBelow = atEnd ? 0 : spacing.between(result, codeLast, next, next - codeLast - 1);

  // Rewrite whole lines: at least those the change touched.
  const from = Math.min(first, start.line);
  const to = Math.max(next, start.line + written.length);
  const replacement = [...result.slice(from, first), ...blank(blankAbove), ...result.slice(codeFirst, codeLast + 1), ...blank(blankBelow), ...result.slice(next, to)];
  const codeStart = first - from + blankAbove;
  const codeLines = { first: codeStart, last: codeStart + codeLast - codeFirst };
  const range = { start: { line: from, character: 0 }, end: { line: to - addedLines, character: 0 } };
  if (range.end.line < lines.length) return { range, text: replacement.join(eol) + eol, codeLines };
  // Up to the end of the file: after code that ends it, only the final line break it had.
  const last = lines.length - 1;
  const finalBreak = atEnd && endsWithBreak(document) ? eol : "";
  return { range: { start: range.start, end: { line: last, character: lines[last].length } }, text: replacement.join(eol) + finalBreak, codeLines };
}

/** How many blank lines go between two neighbouring lines of a file. */
class Spacing {
  private readonly python: boolean;
  private readonly learned = new Map<number, number>();

  constructor(
    /** The file before the change: what its style is learned from. */
    private readonly file: string[],
    languageId: string,
  ) {
    this.python = languageId === "python";
  }

  /** Blank lines between `context[upper]` and `context[lower]` (no blank line between them
   * in `context`); `now` is how many there are before the change. */
  between(context: string[], upper: number, lower: number, now: number): number {
    // Right below a block's opening line, or right above its closing line: leave it as it is.
    if (indentOf(context[lower]) > indentOf(context[upper]) || CLOSER.test(context[lower])) return now;
    const level = indentOf(context[lower]);
    // A comment right above the code: it introduces the code, keep them together as they were.
    if ((this.python ? PYTHON_COMMENT : OTHER_COMMENT).test(context[upper]) && indentOf(context[upper]) <= level) return now;
    if (this.python) {
      const definition = [statementAbove(context, upper, level), statementFrom(context, lower)].some((line) => PYTHON_DEFINITION.test(line));
      if (!definition) return now;
      return level === 0 ? 2 : 1;
    }
    if (!endsBlock(context, upper, level) && !startsBlock(context, lower)) return now;
    return this.blankLinesBetweenBlocks(level);
  }

  /** The file's most frequent count of blank lines between two blocks at `level` (the larger
   * on a tie). */
  private blankLinesBetweenBlocks(level: number): number {
    const known = this.learned.get(level);
    if (known !== undefined) return known;
    const counts = new Map<number, number>();
    let upper = -1;
    for (let lower = 0; lower < this.file.length; lower++) {
      if (isBlank(this.file[lower])) continue;
      const boundary =
        upper >= 0 &&
        indentOf(this.file[lower]) === level &&
        indentOf(this.file[upper]) >= level &&
        !CLOSER.test(this.file[lower]) &&
        (endsBlock(this.file, upper, level) || startsBlock(this.file, lower));
      if (boundary) counts.set(lower - upper - 1, (counts.get(lower - upper - 1) ?? 0) + 1);
      upper = lower;
    }
    let best = DEFAULT_BLANK_LINES;
    let bestSeen = 0;
    for (const [blank, seen] of counts) {
      if (seen > bestSeen || (seen === bestSeen && blank > best)) [best, bestSeen] = [blank, seen];
    }
    this.learned.set(level, best);
    return best;
  }
}

/** The statement at `level` that line `index` belongs to: the nearest line at or above it,
 * indented no deeper than `level` (comments skipped: they may sit at any column). */
function statementAbove(lines: string[], index: number, level: number): string {
  for (let i = index; i >= 0; i--) {
    const line = lines[i];
    if (!isBlank(line) && !PYTHON_COMMENT.test(line) && indentOf(line) <= level) return line;
  }
  return "";
}

/** The first line from `index` on that is not a comment (a comment above a def belongs to it). */
function statementFrom(lines: string[], index: number): string {
  for (let i = index; i < lines.length; i++) {
    if (!isBlank(lines[i]) && !PYTHON_COMMENT.test(lines[i])) return lines[i];
  }
  return "";
}

/** Line `index` ends a block at `level`: a line of its body, or the line that closes it. */
function endsBlock(lines: string[], index: number, level: number): boolean {
  return indentOf(lines[index]) > level || CLOSER.test(lines[index]);
}

/** Line `index` opens a block: the next non-blank line is indented deeper. */
function startsBlock(lines: string[], index: number): boolean {
  for (let i = index + 1; i < lines.length; i++) {
    if (!isBlank(lines[i])) return indentOf(lines[i]) > indentOf(lines[index]);
  }
  return false;
}

function blank(count: number): string[] {
  return Array.from({ length: count }, () => "");
}

function startsWithBreak(text: string): boolean {
  return /^[\r\n]/.test(text);
}

function endsWithBreak(text: string): boolean {
  return /[\r\n]$/.test(text);
}

function isBlank(line: string): boolean {
  return line.trim() === "";
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}
