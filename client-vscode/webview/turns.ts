// The pieces of a conversation that are not answers: a turn's label and the user's prompt.
import { codicon } from "./codicon";

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
