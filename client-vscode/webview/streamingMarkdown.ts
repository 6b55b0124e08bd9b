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
// still parse, highlight and sanitize the whole answer every frame.
//
// A top-level list (a model's step-by-step answer is often one long numbered list with code in its
// items) is finished item by item the same way: an item is finished once the next item's first
// line is complete. The list is an empty container put in the page once; finished items are
// appended to it and never rendered again, and the parse starts at the first unfinished item (an
// item parses the same on its own: its extent and content depend on its own lines only). One thing
// depends on the whole list: whether it is loose (paragraphs in <p>), which a blank line anywhere
// in it decides. Looseness is tracked (the finished items' part is kept, the rest comes from each
// parse); when it changes, the finished items are parsed and rendered again once, O(list) once,
// which a list does at most a few times (a blank line between items usually comes with the first
// ones). Nested lists are rendered with their top-level item.
//
// Limit: a reference definition (`[x]: url`) changes links before it: `definesReferences` says to
// render it all again.
import { parseMarkdown, renderContainer, renderMarkdown, renderTokens, type MarkdownEnv, type Token } from "./markdown";

/** What an update finished, in page order; each part is final, its DOM is never replaced. */
export type FinishedPart =
  /** Sanitized HTML of finished top-level blocks. */
  | { kind: "blocks"; html: string }
  /** An empty list container (`<ol start="3">`) whose items follow one by one; `replacing`: in
   * place of the open one, whose finished items are rendered again (its looseness changed). */
  | { kind: "listOpen"; html: string; replacing: boolean }
  /** Sanitized HTML of finished items (`<li>`) of the open list, appended to it. */
  | { kind: "items"; html: string }
  /** The open list is complete: what follows goes after it. */
  | { kind: "listClose" };

export interface MarkdownUpdate {
  finished: FinishedPart[];
  /** Sanitized HTML of the open list's items still being written (in the list), else "". */
  tailItems: string;
  /** Sanitized HTML of the rest: the block still being written, its code not yet highlighted. */
  tail: string;
}

/** A top-level list rendered item by item. */
interface OpenList {
  /** Where the list starts in the text (its finished items are parsed again from there). */
  start: number;
  /** Whether the finished items alone make the list loose (a later item cannot undo that). */
  looseSoFar: boolean;
  /** The looseness the finished items were rendered with; undefined while none is finished. */
  renderedLoose: boolean | undefined;
}

const LINE_BREAK = /\r\n?|\n/g; // as markdown-it counts lines

/** Where each line of `text` starts; the last entry is the start of the line still open. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (const lineBreak of text.matchAll(LINE_BREAK)) starts.push(lineBreak.index + lineBreak[0].length);
  return starts;
}

/** The text of line `line` (without its line break). */
function lineText(text: string, starts: number[], line: number): string {
  return text.slice(starts[line], starts[line + 1] ?? text.length).replace(/\r?\n?$/, "");
}

/** Whether a fence token's last line closes it and is itself complete (a newline follows). */
function fenceClosed(fence: Token, text: string, starts: number[]): boolean {
  const [first, end] = fence.map!;
  if (end - first < 2 || starts[end] === undefined) return false;
  const closing = lineText(text, starts, end - 1).trimEnd();
  const marker = fence.markup[0];
  return /^ {0,3}(`{3,}|~{3,})$/.test(closing) && closing.trimStart()[0] === marker && closing.trim().length >= fence.markup.length;
}

/** Whether a line starting `next` could belong to `block` instead: with no blank line between
 * them (a lazy continuation, a setext underline), or for a list or indented code, even after one. */
function mayContinue(block: Token, next: Token): boolean {
  return block.map![1] === next.map![0] || CONTINUE_AFTER_BLANK_LINE.has(block.type);
}

const CONTINUE_AFTER_BLANK_LINE = new Set(["bullet_list_open", "ordered_list_open", "code_block"]);
const LIST_OPEN = new Set(["bullet_list_open", "ordered_list_open"]);

/** The index of the token closing the one opened at `open`. */
function closing(tokens: Token[], open: number): number {
  const { level } = tokens[open];
  let index = open + 1;
  while (tokens[index].level !== level || tokens[index].nesting !== -1) index++;
  return index;
}

/** A list's tokens: where it opens and closes, and where its items open. */
interface ListTokens {
  list: number;
  close: number;
  items: number[];
}

function listTokens(tokens: Token[], list: number): ListTokens {
  const close = closing(tokens, list);
  const items: number[] = [];
  for (let index = list + 1; index < close; index++) if (tokens[index].type === "list_item_open" && tokens[index].level === tokens[list].level + 1) items.push(index);
  return { list, close, items };
}

/** Paragraphs directly in the list's items in <p> (loose) or not (tight), as markdown-it does. */
function setLooseness(tokens: Token[], list: number, close: number, loose: boolean): void {
  for (let index = list + 1; index < close; index++) {
    if (tokens[index].type === "paragraph_open" && tokens[index].level === tokens[list].level + 2) {
      tokens[index].hidden = tokens[index + 2].hidden = !loose;
    }
  }
}

export class StreamingMarkdown {
  /** Length of the text's prefix that is finished and rendered: whole blocks, and list items. */
  private finishedLength = 0;
  /** Reference definitions of the finished blocks, for links in later ones. */
  private readonly references: Record<string, unknown> = {};
  /** The list still being written, if the text after the finished prefix continues one. */
  private list: OpenList | undefined;

  /** The answer so far: what it finishes, and the rest with its code plain. */
  update(text: string): MarkdownUpdate {
    return this.advance(text, false);
  }

  /** The answer is complete: nothing more is finished; the rest, its code highlighted, is the tail
   * (the caller keeps its nodes when that equals the last update's). */
  finish(text: string): MarkdownUpdate {
    return this.advance(text, true);
  }

  /** Whether the answer defines references: a one-shot render may then link differently. */
  get definesReferences(): boolean {
    return Object.keys(this.references).length > 0;
  }

  private advance(text: string, complete: boolean): MarkdownUpdate {
    const rest = text.slice(this.finishedLength);
    // Once complete, its references are known for good (`definesReferences`); before, the tail's
    // may be cut short.
    const env: MarkdownEnv = { references: complete ? this.references : { ...this.references } };
    const tokens = parseMarkdown(rest, env);
    const starts = lineStarts(rest);
    const blocks = tokens.flatMap((token, index) => (token.level === 0 && token.nesting !== -1 && token.map ? [index] : []));
    const finished: FinishedPart[] = [];
    if (blocks.length === 0) return { finished, tailItems: "", tail: renderTokens(tokens, env, complete) };
    // The block being written is the last one; and the one before it while the last one's first
    // line is still being written and could yet continue it ("2" becoming "2. the list's next item").
    // Once the answer is complete nothing is finished any more: the rest is the tail, highlighted.
    const completeLines = complete ? Number.POSITIVE_INFINITY : starts.length - 1;
    let open = complete ? 0 : blocks.length - 1;
    if (open > 0 && tokens[blocks[open]].map![0] >= completeLines && mayContinue(tokens[blocks[open - 1]], tokens[blocks[open]])) open--;
    const openBlock = tokens[blocks[open]];
    let tailFrom = blocks[open];
    let finishedLines = openBlock.map![0];
    if (!complete && openBlock.type === "fence" && fenceClosed(openBlock, rest, starts)) {
      tailFrom = blocks[open + 1] ?? tokens.length;
      finishedLines = openBlock.map![1];
    }

    let blocksFrom = 0; // the first line of the finished blocks that are not a list's items
    if (this.list) {
      // The text goes on with the open list's first unfinished item.
      if (open === 0) return this.advanceList(text, rest, tokens, env, starts, 0, completeLines, complete, finished);
      this.finishItems(text, rest, tokens, env, starts, listTokens(tokens, 0), Number.POSITIVE_INFINITY, finished);
      finished.push({ kind: "listClose" });
      this.list = undefined;
      blocksFrom = tokens[0].map![1];
    }
    if (finishedLines > blocksFrom) {
      // Parsed again on its own, with the references defined so far: the tail's may be unfinished.
      const html = renderMarkdown(rest.slice(starts[blocksFrom], starts[finishedLines]), { references: this.references });
      if (html !== "") finished.push({ kind: "blocks", html });
    }
    const finishedUpTo = Math.max(finishedLines, blocksFrom);
    if (!complete && LIST_OPEN.has(openBlock.type) && openBlock.map![0] < completeLines) {
      // A list whose first line is complete (its kind and start number are known): item by item.
      const list = blocks[open];
      finished.push({ kind: "listOpen", html: renderContainer(openBlock, tokens[closing(tokens, list)], env), replacing: false });
      this.list = { start: this.finishedLength + starts[finishedUpTo], looseSoFar: false, renderedLoose: undefined };
      return this.advanceList(text, rest, tokens, env, starts, list, completeLines, complete, finished);
    }
    this.finishedLength += starts[finishedUpTo];
    return { finished, tailItems: "", tail: renderTokens(tokens.slice(tailFrom), env, complete) };
  }

  /** The open list at `tokens[list]` is the block being written: its items whose next item's first
   * line is complete are finished, the rest are the tail's items; what follows the list, the tail. */
  private advanceList(text: string, rest: string, tokens: Token[], env: MarkdownEnv, starts: number[], list: number, completeLines: number, complete: boolean, finished: FinishedPart[]): MarkdownUpdate {
    const listed = listTokens(tokens, list);
    const { close, items } = listed;
    const firstOpen = complete ? 0 : items.findIndex((_, index) => index === items.length - 1 || tokens[items[index + 1]].map![0] >= completeLines);
    const unfinishedFrom = this.finishItems(text, rest, tokens, env, starts, listed, firstOpen, finished);
    this.finishedLength += starts[tokens[unfinishedFrom].map![0]];
    return { finished, tailItems: renderTokens(tokens.slice(unfinishedFrom, close), env, complete), tail: renderTokens(tokens.slice(close + 1), env, complete) };
  }

  /** Finishes the open list's first `count` items (all if more): parts to append them, and the
   * open list's finished items again should its looseness have changed. Returns the token index of
   * the first unfinished item (the list's close if none). Items' paragraphs are set loose or tight. */
  private finishItems(text: string, rest: string, tokens: Token[], env: MarkdownEnv, starts: number[], { list, close, items }: ListTokens, count: number, finished: FinishedPart[]): number {
    const openList = this.list!;
    // As markdown-it decides it: a blank line between an item's blocks, or after an item but the last.
    const endsWithBlankLine = (item: Token): boolean => item.map![1] - item.map![0] > 1 && /^[ \t]*$/.test(lineText(rest, starts, item.map![1] - 1));
    const looseItem = (index: number): boolean => Boolean(tokens[items[index]].meta?.looseBlocks) || (index < items.length - 1 && endsWithBlankLine(tokens[items[index]]));
    const loose = openList.looseSoFar || items.some((_, index) => looseItem(index));
    setLooseness(tokens, list, close, loose);
    if (openList.renderedLoose !== undefined && openList.renderedLoose !== loose) {
      finished.push(...this.finishedItemsAgain(text, loose));
      openList.renderedLoose = loose;
    }
    const done = Math.min(count, items.length);
    const unfinishedFrom = items[done] ?? close;
    if (done === 0) return unfinishedFrom;
    finished.push({ kind: "items", html: renderTokens(tokens.slice(items[0], unfinishedFrom), env, true) });
    openList.looseSoFar ||= items.slice(0, done).some((_, index) => looseItem(index));
    openList.renderedLoose = loose;
    // Rare: the text defines references; those of the finished items are collected from their
    // source alone (a definition in the tail may be cut short).
    if (Object.keys(env.references ?? {}).length > Object.keys(this.references).length) {
      const end = unfinishedFrom === close ? tokens[list].map![1] : tokens[unfinishedFrom].map![0];
      parseMarkdown(rest.slice(starts[tokens[list].map![0]], starts[end] ?? rest.length), { references: this.references });
    }
    return unfinishedFrom;
  }

  /** The open list's container and finished items rendered again, `loose` or tight. */
  private finishedItemsAgain(text: string, loose: boolean): FinishedPart[] {
    const env: MarkdownEnv = { references: { ...this.references } };
    const tokens = parseMarkdown(text.slice(this.list!.start, this.finishedLength), env);
    const close = closing(tokens, 0);
    setLooseness(tokens, 0, close, loose);
    return [
      { kind: "listOpen", html: renderContainer(tokens[0], tokens[close], env), replacing: true },
      { kind: "items", html: renderTokens(tokens.slice(1, close), env, true) },
    ];
  }
}
