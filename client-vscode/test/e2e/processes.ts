// Child processes of the end-to-end tests: line-by-line output, waiting for a line, and ending
// a whole process group (code-server leaves its extension host and the language server behind
// when only its own pid is killed).
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createInterface } from "node:readline";

export class Process {
  readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();
  private exited = false;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.lines.push(line);
        if (process.env.E2E_VERBOSE) console.error(`[${name}] ${line}`);
        this.waiters.forEach((wake) => wake());
      });
    }
    child.on("exit", () => {
      this.exited = true;
      this.waiters.forEach((wake) => wake());
    });
  }

  /** Start `command` in its own process group. */
  static start(name: string, command: string, args: string[], options: SpawnOptions = {}): Process {
    return new Process(name, spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] }));
  }

  /** The first line (from `from` on) matching `pattern`; fails after `timeoutMs` or on exit. */
  waitForLine(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (const line of this.lines.slice(from)) {
          const match = line.match(pattern);
          if (match) {
            done();
            resolve(match);
            return true;
          }
        }
        if (this.exited) {
          done();
          reject(new Error(`${this.name} exited before printing ${pattern}:\n${this.lines.slice(-20).join("\n")}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no line matching ${pattern} within ${timeoutMs} ms:\n${this.lines.slice(-20).join("\n")}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = (): void => void check();
      if (!check()) this.waiters.add(wake);
    });
  }

  /** End the process group: SIGTERM, then SIGKILL for whatever is left after a grace period. */
  async stop(graceMs = 3000): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined) return;
    const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
      try {
        process.kill(-pid, signal);
        return true;
      } catch {
        return false; // the group is gone
      }
    };
    if (!signalGroup("SIGTERM")) return;
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!signalGroup(0)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    signalGroup("SIGKILL");
  }
}
