// What the inline completion toggle shows (no VS Code API: unit-tested).

export const COMPLETION_ENABLED_KEY = "completion.enabled";
export const TOGGLE_COMMAND = "ollamaLsp.toggleInlineCompletion";

export interface ToggleLook {
  text: string;
  tooltip: string;
}

/** The status bar item for `ollama.completion.enabled`: the state in words, not only an icon. */
export function toggleLook(enabled: boolean): ToggleLook {
  return enabled
    ? {
        text: "$(sparkle) Completion: on",
        tooltip: "Ollama inline completion is on: ghost text as you type, Tab accepts.\nClick to turn it off.",
      }
    : {
        text: "$(circle-slash) Completion: off",
        tooltip: "Ollama inline completion is off.\nClick to turn it on.",
      };
}
