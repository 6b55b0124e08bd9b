// The chat webview: sends prompts, shows answers as they stream, Stop, New chat, model picker.
import type { CodeAction, FromWebview, ModelList, ToWebview } from "../shared/messages";
import { AnswerView } from "./answerView";

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

const answers = new Map<string, AnswerView>();
let writing: string | undefined;

function setWriting(answerId: string | undefined): void {
  writing = answerId;
  stopButton.hidden = answerId === undefined;
  sendButton.disabled = answerId !== undefined;
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

function startAnswer(answerId: string, text: string): void {
  conversation.querySelector(".empty-hint")?.remove();
  const question = document.createElement("section");
  question.className = "message user";
  question.textContent = text;
  const answer = new AnswerView(document);
  answers.set(answerId, answer);
  conversation.append(question, answer.element);
  setWriting(answerId);
  followAnswer = true;
}

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case "models":
      showModels(message.list);
      return;
    case "answerStart":
      startAnswer(message.answerId, message.prompt);
      return;
    case "delta":
      answers.get(message.answerId)?.push(message);
      return;
    case "answerEnd":
      answers.get(message.answerId)?.finish(message.end);
      answers.delete(message.answerId);
      if (writing === message.answerId) setWriting(undefined);
      // Not while the user has text of the conversation selected: focusing would drop it.
      if (document.getSelection()?.isCollapsed !== false) prompt.focus();
      return;
    case "cleared":
      answers.clear();
      conversation.replaceChildren();
      setWriting(undefined);
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
byId("new-chat").addEventListener("click", () => vscode.postMessage({ type: "newChat" }));
// "Current file" includes the selection anyway.
includeFile.addEventListener("change", () => (includeSelection.disabled = includeFile.checked));

// Follow the answer as it grows, unless the user scrolled up to read.
let followAnswer = true;
conversation.addEventListener("scroll", () => {
  followAnswer = conversation.scrollTop + conversation.clientHeight >= conversation.scrollHeight - 40;
});
new MutationObserver(() => {
  if (followAnswer) conversation.scrollTop = conversation.scrollHeight;
}).observe(conversation, { childList: true, subtree: true });

conversation.addEventListener("click", (event) => {
  const button = (event.target as Element).closest<HTMLButtonElement>("button.code-action");
  const code = button?.closest(".code-block")?.querySelector("code")?.textContent;
  if (!button || code == null) return;
  vscode.postMessage({ type: "codeAction", action: button.dataset.action as CodeAction, code });
});

vscode.postMessage({ type: "ready" });
