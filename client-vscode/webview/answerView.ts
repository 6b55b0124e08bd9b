// The DOM of one answer: rendered Markdown, a collapsed "Thinking" section, the blinking cursor
// while it is written, code-block actions, and how it ended (done, stopped, error).
// Blocks are appended once finished and never replaced (text can be selected while the answer
// streams); only the block still being written is rendered again, at most once per frame. A list
// is a container its finished items are appended to (streamingMarkdown.ts). A code block being
// written keeps its frame (header, buttons: a click is never lost) while its text grows.
import type { AnswerEnd } from "../shared/messages";
import { AnswerStream, type Delta } from "./answerStream";
import { codeLanguage, frameCodeBlock } from "./codeBlock";
import { FrameScheduler, type RequestFrame } from "./frameScheduler";
import { renderMarkdown } from "./markdown";
import { StreamingMarkdown, type FinishedPart, type MarkdownUpdate } from "./streamingMarkdown";

/** Elements the cursor may go into: it must follow the last text, not close a block early. */
const CURSOR_CONTAINERS = new Set(["P", "UL", "OL", "LI", "BLOCKQUOTE", "PRE", "CODE", "DIV", "H1", "H2", "H3", "H4", "H5", "H6", "TABLE", "TBODY", "TR", "TD"]);

export class AnswerView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly thinking: HTMLDetailsElement;
  private readonly thinkingText: Text;
  private readonly status: HTMLElement;
  private readonly cursor: HTMLElement;
  private readonly stream = new AnswerStream();
  private readonly markdown = new StreamingMarkdown();
  private readonly frames: FrameScheduler;
  /** The nodes of the block still being written, and the HTML they were made from. */
  private tail: { nodes: ChildNode[]; html: string } = { nodes: [], html: "" };
  /** The list whose items are still being written, if any. */
  private openList: Element | undefined;
  private streaming = true;

  constructor(document: Document, requestFrame?: RequestFrame) {
    this.element = document.createElement("section");
    this.element.className = "message assistant";
    this.element.dataset.status = "streaming";
    this.thinking = document.createElement("details");
    this.thinking.className = "thinking";
    this.thinking.hidden = true;
    const summary = document.createElement("summary");
    summary.textContent = "Thinking";
    const thinkingBody = document.createElement("div");
    thinkingBody.className = "thinking-body";
    this.thinkingText = document.createTextNode("");
    thinkingBody.append(this.thinkingText);
    this.thinking.append(summary, thinkingBody);
    this.body = document.createElement("div");
    this.body.className = "answer-body";
    this.status = document.createElement("div");
    this.status.className = "answer-status";
    this.cursor = document.createElement("span");
    this.cursor.className = "cursor";
    this.cursor.setAttribute("aria-hidden", "true");
    this.cursor.textContent = "▊";
    this.element.append(this.thinking, this.body, this.status);
    this.frames = new FrameScheduler(() => this.render(), requestFrame);
    this.render();
  }

  /** A streamed batch: shown with the next animation frame. */
  push(delta: Delta): void {
    if (this.streaming && this.stream.push(delta)) this.frames.schedule();
  }

  finish(end: AnswerEnd): void {
    this.frames.flush();
    this.streaming = false;
    this.cursor.remove();
    this.element.dataset.status = end.status;
    if (end.status === "done") {
      // The response holds the whole answer: it wins should a batch have been lost. Whether the
      // stream alone had it all is kept: the server guarantees it, the tests check it.
      const complete = this.stream.content === end.text && this.stream.thinking === end.thinking;
      this.element.dataset.streamComplete = String(complete);
      if (complete) this.show(this.markdown.finish(this.stream.content));
      if (!complete || this.markdown.definesReferences) this.renderWhole(end.text, end.thinking);
      return;
    }
    this.show(this.markdown.finish(this.stream.content));
    if (end.status === "stopped") {
      this.status.textContent = "Stopped";
    } else {
      const error = this.element.ownerDocument.createElement("div");
      error.className = "error";
      error.setAttribute("role", "alert");
      error.innerHTML = renderMarkdown(end.message);
      this.status.replaceChildren(error);
    }
  }

  private render(): void {
    this.showThinking(this.stream.thinking);
    this.show(this.markdown.update(this.stream.content));
    if (this.streaming) this.placeCursor();
  }

  /** Appends what is finished, and renders the tail again only if it changed. */
  private show({ finished, tailItems, tail }: MarkdownUpdate): void {
    const html = `${tailItems}\u0000${tail}`;
    if (finished.length === 0 && html === this.tail.html) return;
    this.cursor.remove();
    // The tail's code frames are kept for the code blocks that take their place, in order.
    const frames = this.tail.nodes.flatMap((node) => (node instanceof HTMLElement ? (node.matches(".code-block") ? [node] : Array.from(node.querySelectorAll<HTMLElement>(".code-block"))) : []));
    this.tail.nodes.forEach((node) => node.remove());
    finished.forEach((part) => this.appendPart(part, frames));
    this.tail = { nodes: [...this.append(this.openList ?? this.body, tailItems, frames), ...this.append(this.body, tail, frames)], html };
  }

  private appendPart(part: FinishedPart, frames: HTMLElement[]): void {
    switch (part.kind) {
      case "blocks":
        this.append(this.body, part.html, frames);
        return;
      case "listOpen": {
        const nodes = this.append(this.body, part.html);
        const list = nodes.find((node) => node instanceof Element);
        if (part.replacing && this.openList) {
          nodes.forEach((node) => node !== list && node.remove()); // the line break after it stays
          this.openList.replaceWith(list!);
        }
        this.openList = list;
        return;
      }
      case "items":
        this.append(this.openList!, part.html, frames);
        return;
      case "listClose":
        this.openList = undefined;
    }
  }

  private renderWhole(content: string, thinking: string): void {
    this.thinking.hidden = thinking === "";
    this.thinkingText.data = thinking;
    this.body.replaceChildren();
    this.openList = undefined;
    this.tail = { nodes: this.append(this.body, renderMarkdown(content)), html: "" };
  }

  /** Thinking only grows while it streams: append what is new. */
  private showThinking(thinking: string): void {
    this.thinking.hidden = thinking === "";
    if (thinking.length > this.thinkingText.length) this.thinkingText.appendData(thinking.slice(this.thinkingText.length));
  }

  /** Append sanitized HTML to `parent`, code blocks framed (in `frames` taken from the old tail,
   * in order, while their language matches); returns the nodes added. */
  private append(parent: Element, html: string, frames: HTMLElement[] = []): ChildNode[] {
    if (html === "") return [];
    const template = this.element.ownerDocument.createElement("template");
    template.innerHTML = html;
    const before = parent.lastChild;
    const added = (): ChildNode[] => {
      const nodes: ChildNode[] = [];
      for (let node = before ? before.nextSibling : parent.firstChild; node; node = node.nextSibling) nodes.push(node);
      return nodes;
    };
    parent.append(template.content);
    const blocks = added().flatMap((node) => (node instanceof HTMLPreElement ? [node] : node instanceof Element ? Array.from(node.querySelectorAll("pre")) : []));
    for (const pre of blocks) {
      const frame = frames.shift();
      if (frame && codeLanguage(frame) === codeLanguage(pre)) reframe(frame, pre);
      else frameCodeBlock(pre);
    }
    return added(); // framing wrapped the top-level <pre>s
  }

  /** The cursor follows the last text of the block being written, or the last block. */
  private placeCursor(): void {
    let target: Element = this.body;
    if (this.tail.nodes.some((node) => node instanceof Element)) {
      for (let last = lastContent(target); last instanceof Element && CURSOR_CONTAINERS.has(last.tagName); last = lastContent(target)) {
        target = last;
      }
    }
    if (this.cursor.parentNode !== target || this.cursor.nextSibling) target.append(this.cursor);
  }
}

/** Puts `frame` (a code block's frame, out of the page) in place of the new `pre`: while the block
 * streams its code is plain text that only grows, so only the new text is added. */
function reframe(frame: HTMLElement, pre: HTMLPreElement): void {
  const framed = frame.querySelector("pre")!;
  const [code, newCode] = [framed.querySelector("code"), pre.querySelector("code")];
  pre.replaceWith(frame);
  if (!code || !newCode || code.childElementCount > 0 || newCode.childElementCount > 0) {
    framed.replaceWith(pre); // highlighted now that its fence closed
    return;
  }
  const [text, newText] = [code.textContent ?? "", newCode.textContent ?? ""];
  if (code.childNodes.length === 1 && code.firstChild instanceof Text && newText.startsWith(text)) code.firstChild.appendData(newText.slice(text.length));
  else code.textContent = newText;
}

/** The last child that is not blank text (markdown-it ends blocks with a line break). */
function lastContent(element: Element): ChildNode | null {
  let child = element.lastChild;
  while (child && (child.nodeType === Node.TEXT_NODE ? !child.textContent?.trim() : child instanceof HTMLElement && child.classList.contains("cursor"))) {
    child = child.previousSibling;
  }
  return child;
}
