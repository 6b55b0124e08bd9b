// The chat webview's HTML: a strict Content-Security-Policy (nothing remote, only nonce'd
// scripts, only the extension's own styles) and the static skeleton that webview/main.ts fills.

export interface ChatHtmlResources {
  /** `webview.cspSource`: the origin of the extension's files inside the webview. */
  cspSource: string;
  scriptUri: string;
  /** The stylesheet; it loads the codicon font from next to itself. */
  styleUri: string;
  nonce: string;
  /** History and New chat buttons in the page: for editor tabs (the side bar view has them in its title bar). */
  toolbarActions: boolean;
}

/** Prompts the empty conversation offers; `include` ticks that context box. */
const EXAMPLE_PROMPTS: { prompt: string; include: "selection" | "file" }[] = [
  { prompt: "Explain the selected code", include: "selection" },
  { prompt: "Find bugs in the current file", include: "file" },
  { prompt: "Write unit tests for the selected function", include: "selection" },
];

function exampleButton({ prompt, include }: (typeof EXAMPLE_PROMPTS)[number]): string {
  return `<button class="example-prompt" data-prompt="${prompt}" data-include="${include}"><span class="codicon codicon-${include}" aria-hidden="true"></span>${prompt}</button>`;
}

export function contentSecurityPolicy({ cspSource, nonce }: Pick<ChatHtmlResources, "cspSource" | "nonce">): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join("; ");
}

export function chatHtml(resources: ChatHtmlResources): string {
  const { scriptUri, styleUri, nonce, toolbarActions } = resources;
  const actions = toolbarActions
    ? `<button id="show-history" class="icon-button" title="Chat History" aria-label="Chat History"><span class="codicon codicon-history" aria-hidden="true"></span></button>
  <button id="new-chat" class="icon-button" title="New Chat" aria-label="New Chat"><span class="codicon codicon-add" aria-hidden="true"></span></button>`
    : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(resources)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}">
<title>Ollama Chat</title>
</head>
<body>
<header class="toolbar">
  <span class="model-picker" title="The model that answers">
    <span class="codicon codicon-sparkle" aria-hidden="true"></span>
    <select id="model" aria-label="Model"></select>
    <span class="codicon codicon-chevron-down" aria-hidden="true"></span>
  </span>
  <span class="spacer"></span>
  ${actions}
</header>
<main id="conversation" aria-live="polite">
  <div class="empty-state">
    <span class="codicon codicon-comment-discussion empty-icon" aria-hidden="true"></span>
    <h2>Ask Ollama about your code</h2>
    <p>Answers appear as the model writes them. <kbd>Enter</kbd> sends, <kbd>Shift+Enter</kbd> starts a new line.</p>
    <div class="example-prompts">
      ${EXAMPLE_PROMPTS.map(exampleButton).join("\n      ")}
    </div>
  </div>
</main>
<footer class="composer">
  <div class="prompt-box">
    <textarea id="prompt" rows="3" placeholder="Ask Ollama…" aria-label="Prompt"></textarea>
    <div class="composer-row">
      <label class="checkbox"><input type="checkbox" id="include-selection"> Selection</label>
      <label class="checkbox"><input type="checkbox" id="include-file"> Current file</label>
      <span class="spacer"></span>
      <button id="send" class="icon-button send" title="Send (Enter)" aria-label="Send"><span class="codicon codicon-send" aria-hidden="true"></span></button>
      <button id="stop" class="icon-button stop" hidden title="Stop" aria-label="Stop"><span class="codicon codicon-stop-circle" aria-hidden="true"></span></button>
    </div>
  </div>
</footer>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
