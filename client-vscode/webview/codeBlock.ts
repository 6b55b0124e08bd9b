// A rendered code block's frame: the actions above it (Copy, Insert, Replace). The answer's
// renderer calls this once per block; how the frame looks and what it offers lives here alone.
import type { CodeAction } from "../shared/messages";

const CODE_ACTIONS: { action: CodeAction; label: string; title: string }[] = [
  { action: "copy", label: "Copy", title: "Copy to the clipboard" },
  { action: "insert", label: "Insert", title: "Insert at the cursor" },
  { action: "replace", label: "Replace", title: "Replace the selection" },
];

/** Wrap a rendered `<pre>` (already in the page) in a code block with its actions. */
export function frameCodeBlock(pre: HTMLPreElement): HTMLElement {
  const document = pre.ownerDocument;
  const block = document.createElement("div");
  block.className = "code-block";
  const actions = document.createElement("div");
  actions.className = "code-actions";
  for (const { action, label, title } of CODE_ACTIONS) {
    const button = document.createElement("button");
    button.className = "code-action";
    button.dataset.action = action;
    button.textContent = label;
    button.title = title;
    actions.append(button);
  }
  pre.replaceWith(block);
  block.append(actions, pre);
  return block;
}
