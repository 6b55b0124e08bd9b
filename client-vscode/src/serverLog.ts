// The server's stderr in the output channel at the level each line was logged at (the language
// client's default logs every stderr line as an error). The server's own lines from INFO up also
// arrive as `window/logMessage` (server/logs.py), so their stderr copy is dropped. A line without
// the log format (a traceback's continuation) keeps the level of the line before it.

export type LogLevel = "debug" | "info" | "warn" | "error";

const LOG_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ([\w.]+): /;
const LEVELS: Record<string, LogLevel> = { DEBUG: "debug", INFO: "info", WARNING: "warn", ERROR: "error", CRITICAL: "error" };

/** Reads the server's stderr line by line; `level` is undefined for a line to leave out. */
export class ServerStderr {
  private previous: LogLevel | undefined = "error";

  level(line: string): LogLevel | undefined {
    const parsed = LOG_LINE.exec(line);
    if (parsed) {
      const [, levelName, logger] = parsed;
      const level = LEVELS[levelName];
      const sentAsLogMessage = level !== "debug" && (logger === "ollama_lsp" || logger.startsWith("ollama_lsp."));
      this.previous = sentAsLogMessage ? undefined : level;
    }
    return this.previous;
  }
}
