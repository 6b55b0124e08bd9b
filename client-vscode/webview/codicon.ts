// A codicon (VS Code's icon font, loaded by chat.css) as an element.

export function codicon(document: Document, name: string): HTMLElement {
  const span = document.createElement("span");
  span.className = `codicon codicon-${name}`;
  span.setAttribute("aria-hidden", "true");
  return span;
}
