// A growing Markdown answer rendered block by block: each update costs what the last block
// costs, however long the answer already is.
//
// Why this way: markdown-it's top-level block tokens carry their source lines (`map`). Only the
// text after the blocks already finished is parsed; of its blocks, all but the last are finished
// for good, since at top level what would change a block (a setext underline, a lazy
// continuation line, a list's next item, a table's next row) is decided by the complete line
// after it — so while the last block's first line is still being written, the block before it
// may wait too. A fence is finished as soon as its closing line is complete. Finished blocks are
// rendered once (code highlighted then), so their DOM can stay; the last block is rendered again
// each frame with its code plain. The HTML is the same as a one-shot render (the unit tests stream
// random Markdown to check it), with no new dependency. A DOM-morphing library (morphdom) would
// still parse, highlight and sanitize the whole answer every frame. Limits: an answer that is one
// long block (one list of many items) is rendered whole each frame, as before; and a reference
// definition (`[x]: url`) changes links before it: `definesReferences` says to render it all again.
import { parseMarkdown, renderMarkdown, renderTokens, type MarkdownEnv, type Token } from "./markdown";

export interface MarkdownUpdate {
  /** Sanitized HTML of the blocks this update finished (they never change again); may be "". */
  finished: string;
  /** Sanitized HTML of the rest: the block still being written, its code not yet highlighted. */
  tail: string;
}

const LINE_BREAK = /\r\n?|\n/g; // as markdown-it counts lines

/** Where line `line` (0-based) of `text` starts, or undefined when `text` has fewer line breaks. */
function lineStart(text: string, line: number): number | undefined {
  LINE_BREAK.lastIndex = 0;
  let start = 0;
  for (let seen = 0; seen < line; seen++) {
    if (!LINE_BREAK.exec(text)) return undefined;
    start = LINE_BREAK.lastIndex;
  }
  return start;
}

/** Whether a fence token's last line closes it and is itself complete (a newline follows). */
function fenceClosed(fence: Token, text: string): boolean {
  const [first, end] = fence.map!;
  if (end - first < 2) return false;
  const closingStart = lineStart(text, end - 1);
  const afterClosing = lineStart(text, end);
  if (closingStart === undefined || afterClosing === undefined) return false;
  const closing = text.slice(closingStart, afterClosing).trimEnd();
  const marker = fence.markup[0];
  return /^ {0,3}(`{3,}|~{3,})$/.test(closing) && closing.trimStart()[0] === marker && closing.trim().length >= fence.markup.length;
}

/** Whether a line starting `next` could belong to `block` instead: with no blank line between
 * them (a lazy continuation, a setext underline), or for a list or indented code, even after one. */
function mayContinue(block: Token, next: Token): boolean {
  return block.map![1] === next.map![0] || CONTINUE_AFTER_BLANK_LINE.has(block.type);
}

const CONTINUE_AFTER_BLANK_LINE = new Set(["bullet_list_open", "ordered_list_open", "code_block"]);

export class StreamingMarkdown {
  /** Length of the text's prefix whose blocks are finished and rendered. */
  private finishedLength = 0;
  /** Reference definitions of the finished blocks, for links in later ones. */
  private readonly references: Record<string, unknown> = {};

  update(text: string): MarkdownUpdate {
    const rest = text.slice(this.finishedLength);
    const env: MarkdownEnv = { references: { ...this.references } };
    const tokens = parseMarkdown(rest, env);
    const blocks = tokens.flatMap((token, index) => (token.level === 0 && token.nesting !== -1 && token.map ? [index] : []));
    if (blocks.length === 0) return { finished: "", tail: renderTokens(tokens, env, false) };
    // The block being written is the last one; and the one before it while the last one's first
    // line is still being written and could yet continue it ("2" becoming "2. the list's next item").
    const completeLines = rest.match(LINE_BREAK)?.length ?? 0;
    let open = blocks.length - 1;
    if (open > 0 && tokens[blocks[open]].map![0] >= completeLines && mayContinue(tokens[blocks[open - 1]], tokens[blocks[open]])) open--;
    const openBlock = tokens[blocks[open]];
    let tailFrom = blocks[open];
    let finishedLines = openBlock.map![0];
    if (openBlock.type === "fence" && fenceClosed(openBlock, rest)) {
      tailFrom = blocks[open + 1] ?? tokens.length;
      finishedLines = openBlock.map![1];
    }
    const finishedSource = rest.slice(0, lineStart(rest, finishedLines));
    if (finishedLines === 0 || finishedSource === "") return { finished: "", tail: renderTokens(tokens, env, false) };
    this.finishedLength += finishedSource.length;
    return {
      // Parsed again on its own, with the references defined so far: the tail's may be unfinished.
      finished: renderMarkdown(finishedSource, { references: this.references }),
      tail: renderTokens(tokens.slice(tailFrom), env, false),
    };
  }

  /** The answer is complete: HTML of what follows the finished blocks, code highlighted. */
  finish(text: string): string {
    return renderMarkdown(text.slice(this.finishedLength), { references: this.references });
  }

  /** Whether the answer defines references: a one-shot render may then link differently. */
  get definesReferences(): boolean {
    return Object.keys(this.references).length > 0;
  }
}
