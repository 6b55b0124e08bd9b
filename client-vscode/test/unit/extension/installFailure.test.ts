import { expect, test } from "vitest";
import { lastErrorLine, pipFailureMessage, venvFailureMessage } from "../../../src/installFailure";

// What pip 24 prints with PIP_NO_INDEX=1 and no wheel of a dependency in PIP_FIND_LINKS (and,
// with the network down, after its retries): the same two ERROR lines.
const NO_DISTRIBUTION = [
  "Processing ./bundled/ollama_lsp-0.1.0-py3-none-any.whl",
  "Looking in links: /tmp/empty",
  "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError'",
  "ERROR: Could not find a version that satisfies the requirement pygls>=2.0 (from ollama-lsp) (from versions: none)",
  "ERROR: No matching distribution found for pygls>=2.0",
  "",
].join("\n");

test("pip's last ERROR line is quoted, shortened when long", () => {
  expect(lastErrorLine(NO_DISTRIBUTION)).toBe("ERROR: No matching distribution found for pygls>=2.0");
  expect(lastErrorLine("Collecting x\r\n  ERROR: disk full\r\n")).toBe("ERROR: disk full");
  expect(lastErrorLine("all good\n")).toBeUndefined();
  const long = lastErrorLine(`ERROR: ${"x".repeat(500)}`)!;
  expect(long.length).toBe(160);
  expect(long.endsWith("…")).toBe(true);
});

test("pip that cannot download the libraries: its error, the network fix, how to retry and the way around", () => {
  const message = pipFailureMessage(NO_DISTRIBUTION, 1);
  expect(message).toContain("pip could not install its libraries (ERROR: No matching distribution found for pygls>=2.0)");
  expect(message).not.toContain("Could not find a version"); // one line, the last
  expect(message).toContain("PyPI");
  expect(message).toContain("PIP_INDEX_URL");
  expect(message).toContain("HTTPS_PROXY");
  expect(message).toContain("“Ollama: Restart Language Server”");
  expect(message).toContain("“ollama.server.path”");
  expect(message).toContain("Show Log");
});

test("another pip failure: its error and 'fix what pip says', not the network advice", () => {
  const message = pipFailureMessage("ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device\n", 1);
  expect(message).toContain("(ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device)");
  expect(message).toContain("Fix what pip says");
  expect(message).not.toContain("PyPI");
  expect(message).toContain("Restart Language Server");
});

test("pip that printed no ERROR line: its exit status", () => {
  expect(pipFailureMessage("Killed\n", -9)).toContain("(pip exited with status -9)");
});

test("Debian's python without venv: the package to install", () => {
  const debian = [
    "The virtual environment was not created successfully because ensurepip is not",
    "available.  On Debian/Ubuntu systems, you need to install the python3-venv",
    "package using the following command.",
    "",
    "    apt install python3.11-venv",
    "",
    "You may need to use sudo with that command.  After installing the python3-venv",
    "package, recreate your virtual environment.",
    "",
    "Failing command: /home/u/.vscode/server/venv/bin/python3.11",
    "",
  ].join("\n");
  const message = venvFailureMessage("/usr/bin/python3", debian, 1);
  expect(message).toContain("/usr/bin/python3 cannot create a virtual environment");
  expect(message).toContain("“sudo apt install python3.11-venv”");
  expect(message).toContain("Restart Language Server");
  expect(message).toContain("ollama.server.path");
});

test("another venv failure: its last line", () => {
  const message = venvFailureMessage("/opt/py", "Error: [Errno 13] Permission denied: '/x'\n\n", 1);
  expect(message).toContain("/opt/py cannot create a virtual environment (Error: [Errno 13] Permission denied: '/x')");
  expect(venvFailureMessage("/opt/py", "", 2)).toContain("(it exited with status 2)");
});
