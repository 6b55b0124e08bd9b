import { expect, test } from "vitest";
import { scopeToWrite, SERVER_SETTING_KEYS, toServerSettings } from "../../../src/settings";
import packageJson from "../../../package.json";

test("VS Code's flat keys become the server's nested settings", () => {
  const values: Record<string, unknown> = {
    backend: "openai",
    baseUrl: "http://127.0.0.1:8080/v1",
    model: "m",
    "timeouts.idleS": 30,
    "streaming.flushIntervalMs": 0,
    "chat.maxHistoryMessages": 4,
  };
  expect(toServerSettings((key) => values[key])).toEqual({
    backend: "openai",
    baseUrl: "http://127.0.0.1:8080/v1",
    model: "m",
    timeouts: { idleS: 30 },
    streaming: { flushIntervalMs: 0 },
    chat: { maxHistoryMessages: 4 },
  });
});

test("empty strings and unset values mean the server's default and are left out", () => {
  const values: Record<string, unknown> = { apiKey: "", baseUrl: "", "chat.systemPrompt": "", "embedded.threads": null, model: "x" };
  expect(toServerSettings((key) => values[key])).toEqual({ model: "x" });
});

test("the extension's own settings are never sent to the server", () => {
  const read = (key: string): unknown => (key.startsWith("server.") || key.startsWith("trace.") ? "leak" : undefined);
  expect(toServerSettings(read)).toEqual({});
});

test("every server setting is contributed in package.json, and nothing else is unaccounted for", () => {
  const contributed = Object.keys(packageJson.contributes.configuration.properties).map((key) => key.replace(/^ollama\./, ""));
  const own = contributed.filter((key) => key.startsWith("server.") || key.startsWith("trace."));
  expect(new Set(contributed)).toEqual(new Set([...SERVER_SETTING_KEYS, ...own]));
});

test("a change is written where the value is set, so that it takes effect", () => {
  expect(scopeToWrite({ workspaceValue: false })).toBe("workspace");
  expect(scopeToWrite({ workspaceValue: "m" })).toBe("workspace");
  expect(scopeToWrite({})).toBe("global");
  expect(scopeToWrite(undefined)).toBe("global");
});
