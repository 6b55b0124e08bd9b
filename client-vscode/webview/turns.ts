// The pieces of a conversation that are not answers: a turn's label, the user's prompt, a notice.
import { codicon } from "./codicon";
import { renderMarkdown } from "./markdown";

/** "You" or the model's name, above its turn. */
export function turnLabel(document: Document, icon: string, name: string): HTMLElement {
  const label = document.createElement("div");
  label.className = "turn-label";
  label.append(codicon(document, icon), name);
  return label;
}

/** The label's name becomes `name` (the model that answered was not the one asked for). */
export function renameTurnLabel(label: HTMLElement, name: string): void {
  label.lastChild?.replaceWith(name);
}

/** What the user asked, as typed. */
export function userMessage(document: Document, text: string): HTMLElement {
  const question = document.createElement("section");
  question.className = "message user";
  question.textContent = text;
  return question;
}

/** A quiet line above an answer about how it was made (`text`: Markdown from the extension). */
export function answerNotice(document: Document, text: string): HTMLElement {
  const notice = document.createElement("div");
  notice.className = "answer-notice";
  notice.setAttribute("role", "note");
  const body = document.createElement("div");
  body.innerHTML = renderMarkdown(text);
  notice.append(codicon(document, "info"), body);
  return notice;
}
