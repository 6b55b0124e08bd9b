// Which Python the bundled server can be installed with, and what to tell a user who has none
// (apart from serverInstall.ts so that it can be tested without VS Code).

const MINIMUM_PYTHON: readonly [number, number] = [3, 11];

/** Whether `python -c "import sys; print(*sys.version_info[:2])"`'s output is new enough. */
export function isSuitablePython(versionOutput: string): boolean {
  const [major, minor] = versionOutput.trim().split(/\s+/).map(Number);
  if (!Number.isInteger(major) || !Number.isInteger(minor)) return false;
  return major > MINIMUM_PYTHON[0] || (major === MINIMUM_PYTHON[0] && minor >= MINIMUM_PYTHON[1]);
}

/** The one message when no interpreter will do; `found` says what each candidate was. */
export function noSuitablePythonMessage(found: string[]): string {
  return (
    `The Ollama language server needs Python ${MINIMUM_PYTHON.join(".")} or later ` +
    `(${found.length ? found.join("; ") : "no python3 on PATH"}). Install it (e.g. from python.org, ` +
    "or “sudo apt install python3”) and select it with the Python extension, then run " +
    "“Ollama: Restart Language Server” — or set “ollama.server.path” to an ollama-lsp executable."
  );
}
