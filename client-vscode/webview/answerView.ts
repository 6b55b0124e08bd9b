// The DOM of one answer: rendered Markdown, a collapsed "Thinking" section, the blinking cursor
// while it is written, code-block actions, and how it ended (done, stopped, error).
import type { AnswerEnd } from "../shared/messages";
import { AnswerStream, type Delta } from "./answerStream";
import { frameCodeBlock } from "./codeBlock";
import { FrameScheduler, type RequestFrame } from "./frameScheduler";
import { renderMarkdown } from "./markdown";

/** Elements the cursor may go into: it must follow the last text, not close a block early. */
const CURSOR_CONTAINERS = new Set(["P", "UL", "OL", "LI", "BLOCKQUOTE", "PRE", "CODE", "DIV", "H1", "H2", "H3", "H4", "H5", "H6", "TABLE", "TBODY", "TR", "TD"]);

export class AnswerView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly thinking: HTMLDetailsElement;
  private readonly thinkingBody: HTMLElement;
  private readonly status: HTMLElement;
  private readonly stream = new AnswerStream();
  private readonly frames: FrameScheduler;
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
    this.thinkingBody = document.createElement("div");
    this.thinkingBody.className = "thinking-body";
    this.thinking.append(summary, this.thinkingBody);
    this.body = document.createElement("div");
    this.body.className = "answer-body";
    this.status = document.createElement("div");
    this.status.className = "answer-status";
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
    this.element.dataset.status = end.status;
    if (end.status === "done") {
      // The response holds the whole answer: it wins should a batch have been lost. Whether the
      // stream alone had it all is kept: the server guarantees it, the tests check it.
      this.element.dataset.streamComplete = String(this.stream.content === end.text && this.stream.thinking === end.thinking);
      this.render(end.text, end.thinking);
    } else {
      this.render();
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
  }

  private render(content = this.stream.content, thinking = this.stream.thinking): void {
    this.thinking.hidden = thinking === "";
    this.thinkingBody.textContent = thinking;
    this.body.innerHTML = renderMarkdown(content);
    this.addCodeActions();
    if (this.streaming) this.appendCursor();
  }

  private addCodeActions(): void {
    for (const pre of Array.from(this.body.querySelectorAll("pre"))) frameCodeBlock(pre);
  }

  private appendCursor(): void {
    let target: Element = this.body;
    for (let last = lastContent(target); last instanceof Element && CURSOR_CONTAINERS.has(last.tagName); last = lastContent(target)) {
      target = last;
    }
    const cursor = this.element.ownerDocument.createElement("span");
    cursor.className = "cursor";
    cursor.setAttribute("aria-hidden", "true");
    cursor.textContent = "▊";
    target.append(cursor);
  }
}

/** The last child that is not blank text (markdown-it ends blocks with a line break). */
function lastContent(element: Element): ChildNode | null {
  let child = element.lastChild;
  while (child && child.nodeType === Node.TEXT_NODE && !child.textContent?.trim()) child = child.previousSibling;
  return child;
}
