import { expect, test } from "vitest";
import { ServerStderr } from "../../../src/serverLog";

test("each stderr line at its logged level; the server's own from INFO up are left to window/logMessage", () => {
  const stderr = new ServerStderr();
  const levels = [
    "2026-12-01 10:40:00,123 INFO httpx2: HTTP Request: POST http://127.0.0.1:11434/api/chat \"HTTP/1.1 200 OK\"",
    "2026-12-01 10:40:00,124 WARNING asyncio: Executing <Task> took 0.2 seconds",
    "2026-12-01 10:40:00,125 DEBUG ollama_lsp.server.streaming: flushed 3 tokens",
    "2026-12-01 10:40:00,126 INFO ollama_lsp.server.commands.chat: answered in 1.2 s",
    "2026-12-01 10:40:00,127 ERROR ollama_lsp.agents.history: cannot write",
    "Traceback (most recent call last):",
    "2026-12-01 10:40:00,128 ERROR pygls.protocol: failed to send",
    "Traceback (most recent call last):",
    '  File "x.py", line 1, in <module>',
    "2026-12-01 10:40:00,129 CRITICAL root: gone",
  ].map((line) => stderr.level(line));
  expect(levels).toEqual(["info", "warn", "debug", undefined, undefined, undefined, "error", "error", "error", "error"]);
});

test("what comes before any log line (a crash at start-up) is an error", () => {
  expect(new ServerStderr().level("ModuleNotFoundError: No module named 'pygls'")).toBe("error");
});
