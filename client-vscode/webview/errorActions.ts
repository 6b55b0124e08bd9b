// What a failed answer offers: Retry (the same prompt, model and context again) and, when a
// setting can fix the error, Open Settings at that setting.
import { codicon } from "./codicon";

function actionButton(document: Document, action: string, icon: string, label: string, secondary: boolean): HTMLButtonElement {
  const button = document.createElement("button");
  button.className = secondary ? "error-action secondary" : "error-action";
  button.dataset.action = action;
  button.append(codicon(document, icon), label);
  return button;
}

export function errorActions(document: Document, answerId: string, setting: string | undefined): HTMLElement {
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
  return actions;
}
