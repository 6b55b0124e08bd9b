// The DOM of one answer: rendered Markdown, a collapsed "Thinking" section, the blinking cursor
// while it is written, code-block actions, and how it ended (done, stopped, error).
// Blocks are appended once finished and never replaced (text can be selected while the answer
// streams); only the block still being written is rendered again, at most once per frame.
import type { AnswerEnd } from "../shared/messages";
import { AnswerStream, type Delta } from "./answerStream";
import { frameCodeBlock } from "./codeBlock";
import { FrameScheduler, type RequestFrame } from "./frameScheduler";
import { renderMarkdown } from "./markdown";
import { StreamingMarkdown } from "./streamingMarkdown";

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
      if (complete) this.finishTail();
      if (!complete || this.markdown.definesReferences) this.renderWhole(end.text, end.thinking);
      return;
    }
    this.finishTail();
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
    const { finished, tail } = this.markdown.update(this.stream.content);
    if (finished !== "" || tail !== this.tail.html) {
      this.cursor.remove();
      this.tail.nodes.forEach((node) => node.remove());
      if (finished !== "") this.append(finished);
      this.tail = { nodes: this.append(tail), html: tail };
    }
    if (this.streaming) this.placeCursor();
  }

  /** The last block, finished: re-rendered only if that changes it (its code highlighted). */
  private finishTail(): void {
    const html = this.markdown.finish(this.stream.content);
    if (html === this.tail.html) return;
    this.tail.nodes.forEach((node) => node.remove());
    this.tail = { nodes: this.append(html), html };
  }

  private renderWhole(content: string, thinking: string): void {
    this.thinking.hidden = thinking === "";
    this.thinkingText.data = thinking;
    this.body.replaceChildren();
    this.tail = { nodes: this.append(renderMarkdown(content)), html: "" };
  }

  /** Thinking only grows while it streams: append what is new. */
  private showThinking(thinking: string): void {
    this.thinking.hidden = thinking === "";
    if (thinking.length > this.thinkingText.length) this.thinkingText.appendData(thinking.slice(this.thinkingText.length));
  }

  /** Append sanitized HTML to the body, code blocks framed; returns the nodes added. */
  private append(html: string): ChildNode[] {
    if (html === "") return [];
    const template = this.element.ownerDocument.createElement("template");
    template.innerHTML = html;
    const before = this.body.lastChild;
    const added = (): ChildNode[] => {
      const nodes: ChildNode[] = [];
      for (let node = before ? before.nextSibling : this.body.firstChild; node; node = node.nextSibling) nodes.push(node);
      return nodes;
    };
    this.body.append(template.content);
    const blocks = added().flatMap((node) => (node instanceof HTMLPreElement ? [node] : node instanceof Element ? Array.from(node.querySelectorAll("pre")) : []));
    blocks.forEach((pre) => frameCodeBlock(pre));
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

/** The last child that is not blank text (markdown-it ends blocks with a line break). */
function lastContent(element: Element): ChildNode | null {
  let child = element.lastChild;
  while (child && (child.nodeType === Node.TEXT_NODE ? !child.textContent?.trim() : child instanceof HTMLElement && child.classList.contains("cursor"))) {
    child = child.previousSibling;
  }
  return child;
}
