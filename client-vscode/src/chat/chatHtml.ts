// The chat webview's HTML: a strict Content-Security-Policy (nothing remote, only nonce'd
// scripts, only the extension's own styles) and the static skeleton that webview/main.ts fills.

export interface ChatHtmlResources {
  /** `webview.cspSource`: the origin of the extension's files inside the webview. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
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
  const { scriptUri, styleUri, nonce } = resources;
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
  <label class="model-picker">Model <select id="model" aria-label="Model"></select></label>
  <button id="new-chat" class="secondary" title="Start a new conversation">New chat</button>
</header>
<main id="conversation" aria-live="polite">
  <p class="empty-hint">Ask about your code. Enter sends, Shift+Enter starts a new line.</p>
</main>
<footer class="composer">
  <textarea id="prompt" rows="3" placeholder="Ask Ollama…" aria-label="Prompt"></textarea>
  <div class="composer-row">
    <label><input type="checkbox" id="include-selection"> Selection</label>
    <label><input type="checkbox" id="include-file"> Current file</label>
    <span class="spacer"></span>
    <button id="stop" class="stop" hidden title="Stop the answer">Stop</button>
    <button id="send" title="Send (Enter)">Send</button>
  </div>
</footer>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
