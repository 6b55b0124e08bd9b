// VS Code's `ollama.*` settings as the server's settings object (docs/protocol.md#settings).
import { SETTING_KEYS } from "./protocol";

/** Keys under `ollama.` that the server reads; `server.*` and `trace.*` are the extension's own. */
export const SERVER_SETTING_KEYS = SETTING_KEYS;

export type SettingsReader = (key: string) => unknown;

/**
 * The nested object the server expects (`{timeouts: {idleS: 120}, ...}`). Empty strings are
 * left out: for `apiKey`, `baseUrl` and `chat.systemPrompt` they mean "the server's default".
 */
export function toServerSettings(read: SettingsReader): Record<string, unknown> {
  const settings: Record<string, unknown> = {};
  for (const key of SERVER_SETTING_KEYS) {
    const value = read(key);
    if (value === undefined || value === null || value === "") continue;
    const path = key.split(".");
    let node = settings;
    for (const part of path.slice(0, -1)) {
      node = (node[part] ??= {}) as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  return settings;
}

/** Where a change to a setting is written: the workspace's settings when they set it (a change
 * in the user's settings would be overridden there and do nothing), else the user's settings. */
export function scopeToWrite(values: { workspaceValue?: unknown } | undefined): "workspace" | "global" {
  return values?.workspaceValue !== undefined ? "workspace" : "global";
}
