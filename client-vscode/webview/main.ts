// The chat webview: sends prompts, shows answers as they stream, Stop, New chat, model picker,
// example prompts, code-block and error actions.
import type { AnswerEnd, CodeAction, FromWebview, ModelList, ToWebview } from "../shared/messages";
import { AnswerView } from "./answerView";
import { codeLanguage, showCopied } from "./codeBlock";
import { errorActions } from "./errorActions";
import { pastConversation } from "./pastConversation";
import { answerNotice, renameTurnLabel, turnLabel, userMessage } from "./turns";

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void };

const vscode = acquireVsCodeApi();

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} missing from the chat's HTML`);
  return element as T;
}

const conversation = byId<HTMLElement>("conversation");
const prompt = byId<HTMLTextAreaElement>("prompt");
const sendButton = byId<HTMLButtonElement>("send");
const stopButton = byId<HTMLButtonElement>("stop");
const modelSelect = byId<HTMLSelectElement>("model");
const includeSelection = byId<HTMLInputElement>("include-selection");
const includeFile = byId<HTMLInputElement>("include-file");
// Shown again when the conversation is cleared.
const emptyState = conversation.querySelector<HTMLElement>(".empty-state");

const answers = new Map<string, AnswerView>();
let writing: string | undefined;

/** Send and Stop take turns in the same place, so the composer never moves. */
function setWriting(answerId: string | undefined): void {
  writing = answerId;
  stopButton.hidden = answerId === undefined;
  sendButton.hidden = answerId !== undefined;
}

function send(): void {
  const text = prompt.value.trim();
  if (!text || writing) return;
  vscode.postMessage({
    type: "send",
    prompt: text,
    model: modelSelect.value,
    includeSelection: includeSelection.checked,
    includeFile: includeFile.checked,
  });
  prompt.value = "";
}

function showModels({ models, selected }: ModelList): void {
  const current = modelSelect.value || selected;
  modelSelect.replaceChildren(
    ...models.map((name) => {
      const option = document.createElement("option");
      option.value = option.textContent = name;
      return option;
    }),
  );
  modelSelect.value = models.includes(current) ? current : selected;
}

function startAnswer(answerId: string, text: string, model: string): void {
  emptyState?.remove();
  const answer = new AnswerView(document);
  answers.set(answerId, answer);
  // Labels before the turns, not in them: a turn's text stays exactly what was asked or answered.
  conversation.append(turnLabel(document, "account", "You"), userMessage(document, text), turnLabel(document, "sparkle", model), answer.element);
  setWriting(answerId);
  followAnswer = true;
}

/** Replace the conversation shown (by the empty state when it has no turns), at its end. */
function showConversation(turns: Node[]): void {
  answers.clear();
  conversation.replaceChildren(...(turns.length > 0 ? turns : emptyState ? [emptyState] : []));
  setWriting(undefined);
  followAnswer = true;
  conversation.scrollTop = conversation.scrollHeight;
}

/** The answer's label (just before it) names the model that answered; a notice goes above it. */
function labelAnswer(answerId: string, answeredBy: string | undefined, notice: string | undefined): void {
  const label = answers.get(answerId)?.element.previousElementSibling;
  if (!(label instanceof HTMLElement)) return;
  if (answeredBy && label.textContent !== answeredBy) renameTurnLabel(label, answeredBy);
  if (notice) label.before(answerNotice(document, notice));
}

/** A failed answer's Retry and Open Settings, in its error box. */
function offerErrorActions(answerId: string, end: AnswerEnd): void {
  const answer = answers.get(answerId);
  if (!answer || end.status !== "error") return;
  (answer.element.querySelector(".error") ?? answer.element).append(errorActions(document, answerId, end.setting, end.offerEmbeddedSetup));
}

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case "models":
      showModels(message.list);
      return;
    case "answerStart":
      startAnswer(message.answerId, message.prompt, message.model);
      return;
    case "delta":
      answers.get(message.answerId)?.push(message);
      return;
    case "answerEnd":
      answers.get(message.answerId)?.finish(message.end);
      offerErrorActions(message.answerId, message.end);
      labelAnswer(message.answerId, message.answeredBy, message.notice);
      answers.delete(message.answerId);
      if (writing === message.answerId) setWriting(undefined);
      // Not while the user has text of the conversation selected: focusing would drop it.
      if (document.getSelection()?.isCollapsed !== false) prompt.focus();
      return;
    case "cleared":
      showConversation([]);
      return;
    case "conversation":
      showConversation(pastConversation(document, message.turns));
      return;
    case "editorSelection":
      document.body.toggleAttribute("data-has-selection", message.hasSelection);
      return;
    case "focusPrompt":
      prompt.focus();
      return;
  }
});

prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
sendButton.addEventListener("click", send);
stopButton.addEventListener("click", () => vscode.postMessage({ type: "stop" }));
document.getElementById("new-chat")?.addEventListener("click", () => vscode.postMessage({ type: "newChat" }));
document.getElementById("show-history")?.addEventListener("click", () => vscode.postMessage({ type: "showHistory" }));
// "Current file" includes the selection anyway.
includeFile.addEventListener("change", () => (includeSelection.disabled = includeFile.checked));

// When VS Code gives the view the focus, typing goes to the prompt (unless something in the
// page holds it already).
function focusPromptIfNothingElse(): void {
  if (document.activeElement === document.body || document.activeElement === null) prompt.focus();
}
window.addEventListener("focus", focusPromptIfNothingElse);
if (document.hasFocus()) focusPromptIfNothingElse();

// Follow the answer as it grows, unless the user scrolled up to read.
let followAnswer = true;
conversation.addEventListener("scroll", () => {
  followAnswer = conversation.scrollTop + conversation.clientHeight >= conversation.scrollHeight - 40;
});
new MutationObserver(() => {
  if (followAnswer) conversation.scrollTop = conversation.scrollHeight;
}).observe(conversation, { childList: true, subtree: true });

function onCodeAction(button: HTMLButtonElement): void {
  const block = button.closest(".code-block");
  const code = block?.querySelector("pre code")?.textContent;
  if (!block || code == null) return;
  const action = button.dataset.action as CodeAction;
  vscode.postMessage({ type: "codeAction", action, code, language: codeLanguage(block) });
  if (action === "copy") showCopied(button);
}

function onErrorAction(button: HTMLButtonElement): void {
  const { action, answerId, setting } = button.dataset;
  if (action === "retry" && answerId) vscode.postMessage({ type: "retry", answerId });
  if (action === "openSettings" && setting) vscode.postMessage({ type: "openSettings", setting });
  if (action === "setUpEmbedded") vscode.postMessage({ type: "setUpEmbedded" });
}

function onExamplePrompt(button: HTMLButtonElement): void {
  prompt.value = button.dataset.prompt ?? "";
  includeSelection.checked = button.dataset.include === "selection";
  includeFile.checked = button.dataset.include === "file";
  includeSelection.disabled = includeFile.checked;
  prompt.focus();
}

conversation.addEventListener("click", (event) => {
  const button = (event.target as Element).closest<HTMLButtonElement>("button");
  if (button?.classList.contains("code-action")) onCodeAction(button);
  else if (button?.classList.contains("error-action")) onErrorAction(button);
  else if (button?.classList.contains("example-prompt")) onExamplePrompt(button);
});

vscode.postMessage({ type: "ready" });
