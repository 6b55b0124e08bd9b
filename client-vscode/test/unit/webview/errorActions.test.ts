// @vitest-environment jsdom
import { expect, test } from "vitest";
import { errorActions } from "../../../webview/errorActions";

test("a failed answer offers Retry, and Open Settings only when a setting can fix it", () => {
  const withSetting = errorActions(document, "a1", "ollama.baseUrl");
  const buttons = Array.from(withSetting.querySelectorAll<HTMLButtonElement>("button.error-action"));
  expect(buttons.map((button) => [button.dataset.action, button.textContent])).toEqual([["retry", "Retry"], ["openSettings", "Open Settings"]]);
  expect(buttons[0].dataset.answerId).toBe("a1");
  expect(buttons[1].dataset.setting).toBe("ollama.baseUrl");
  expect(Array.from(errorActions(document, "a2", undefined).querySelectorAll("button"), (button) => button.dataset.action)).toEqual(["retry"]);
});

test("when no model can answer, the error offers setting up the embedded model too", () => {
  const actions = errorActions(document, "a3", "ollama.baseUrl", true);
  const buttons = Array.from(actions.querySelectorAll<HTMLButtonElement>("button.error-action"));
  expect(buttons.map((button) => [button.dataset.action, button.textContent])).toEqual([
    ["retry", "Retry"],
    ["openSettings", "Open Settings"],
    ["setUpEmbedded", "Set Up the Embedded Model"],
  ]);
});
