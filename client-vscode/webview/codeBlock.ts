// A rendered code block's frame: one header with the language and compact icon actions (Copy,
// Insert at cursor, Replace selection, New file). The answer's renderer calls this once per
// block; how the frame looks and what it offers lives here alone.
import type { CodeAction } from "../shared/messages";
import { codicon } from "./codicon";

const CODE_ACTIONS: { action: CodeAction; icon: string; label: string }[] = [
  { action: "copy", icon: "copy", label: "Copy" },
  { action: "insert", icon: "insert", label: "Insert at Cursor" },
  // Shown only while the editor has a selection (chat.css, body[data-has-selection]).
  { action: "replace", icon: "replace", label: "Replace Selection" },
  { action: "newFile", icon: "new-file", label: "Open in New File" },
];

const COPIED_FOR_MS = 2000;

/** The fence's language tag of the code block (or `pre`) given, from its code element's
 * `language-X` class; none if untagged. */
export function codeLanguage(block: Element): string | undefined {
  const code = block.querySelector("code");
  return code ? /(?:^|\s)language-(\S+)/.exec(code.className)?.[1] : undefined;
}

/** Wrap a rendered `<pre>` (already in the page) in a code block with its header. */
export function frameCodeBlock(pre: HTMLPreElement): HTMLElement {
  const document = pre.ownerDocument;
  const block = document.createElement("div");
  block.className = "code-block";
  const header = document.createElement("div");
  header.className = "code-header";
  const language = document.createElement("span");
  language.className = "code-language";
  language.textContent = codeLanguage(pre) ?? "";
  const actions = document.createElement("span");
  actions.className = "code-actions";
  for (const { action, icon, label } of CODE_ACTIONS) {
    const button = document.createElement("button");
    button.className = "code-action icon-button";
    button.dataset.action = action;
    button.title = label;
    button.setAttribute("aria-label", label);
    button.append(codicon(document, icon));
    actions.append(button);
  }
  header.append(language, actions);
  pre.replaceWith(block);
  block.append(header, pre);
  return block;
}

/** Copy's feedback: a check mark and "Copied" for two seconds. */
export function showCopied(button: HTMLButtonElement): void {
  const document = button.ownerDocument;
  const feedback = document.createElement("span");
  feedback.className = "copied-label";
  feedback.textContent = "Copied";
  button.replaceChildren(codicon(document, "check"), feedback);
  button.classList.add("copied");
  button.setAttribute("aria-label", "Copied");
  clearTimeout(Number(button.dataset.copiedTimer));
  button.dataset.copiedTimer = String(
    setTimeout(() => {
      button.replaceChildren(codicon(document, "copy"));
      button.classList.remove("copied");
      button.setAttribute("aria-label", "Copy");
    }, COPIED_FOR_MS),
  );
}
