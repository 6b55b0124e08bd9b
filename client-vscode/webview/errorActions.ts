// What a failed answer offers: Retry (the same prompt, model and context again), Open Settings at
// the setting that can fix the error, and Set Up the Embedded Model when no model can answer.
import { codicon } from "./codicon";

function actionButton(document: Document, action: string, icon: string, label: string, secondary: boolean): HTMLButtonElement {
  const button = document.createElement("button");
  button.className = secondary ? "error-action secondary" : "error-action";
  button.dataset.action = action;
  button.append(codicon(document, icon), label);
  return button;
}

export function errorActions(document: Document, answerId: string, setting: string | undefined, offerEmbeddedSetup = false): HTMLElement {
  const actions = document.createElement("div");
  actions.className = "error-actions";
  const retry = actionButton(document, "retry", "refresh", "Retry", false);
  retry.dataset.answerId = answerId;
  actions.append(retry);
  if (setting) {
    const open = actionButton(document, "openSettings", "settings-gear", "Open Settings", true);
    open.dataset.setting = setting;
    open.title = `Open the setting ${setting}`;
    actions.append(open);
  }
  if (offerEmbeddedSetup) {
    const setUp = actionButton(document, "setUpEmbedded", "desktop-download", "Set Up the Embedded Model", true);
    setUp.title = "Install a small model that runs inside the language server (no Ollama needed)";
    actions.append(setUp);
  }
  return actions;
}
