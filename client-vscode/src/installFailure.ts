// What to tell the user when a step of installing the bundled server failed — creating the
// virtual environment, or pip installing the server's libraries — from what that step printed
// (apart from serverInstall.ts so that it can be tested without VS Code). The whole output is in
// the log; the message quotes the one line that says what went wrong, and what to do about it.

const MAX_QUOTE = 160;
const RETRY =
  "then run “Ollama: Restart Language Server” to try again — or set “ollama.server.path” to an ollama-lsp executable. " +
  "The whole output is in the log (“Show Log”).";

/** pip's failures that mean it could not get the libraries: no network, a proxy, a wrong index. */
const UNREACHABLE_INDEX =
  /No matching distribution found|Could not find a version that satisfies|HTTPSConnectionPool|ProxyError|SSLError|NewConnectionError|Name or service not known|Temporary failure in name resolution|Read timed out/i;

function shorten(line: string): string {
  return line.length > MAX_QUOTE ? `${line.slice(0, MAX_QUOTE - 1)}…` : line;
}

/** The last line of `output` that starts with `ERROR:` (pip's summary of what went wrong), shortened. */
export function lastErrorLine(output: string): string | undefined {
  const errors = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith("ERROR:"));
  const last = errors.at(-1);
  return last === undefined ? undefined : shorten(last);
}

/** The message when `pip install` of the server exited with `status`, having printed `output`. */
export function pipFailureMessage(output: string, status: number | null): string {
  const error = lastErrorLine(output) ?? `pip exited with status ${status}`;
  const fix = UNREACHABLE_INDEX.test(output)
    ? "pip has to reach PyPI, or the index you configured, to download them: check the network connection, " +
      "the proxy (HTTPS_PROXY) and PIP_INDEX_URL or pip.conf, "
    : "Fix what pip says, ";
  return `Installing the Ollama language server failed: pip could not install its libraries (${error}). ${fix}${RETRY}`;
}

/** The message when `python -m venv` exited with `status`, having printed `output`. */
export function venvFailureMessage(python: string, output: string, status: number | null): string {
  // Debian and Ubuntu ship venv's ensurepip separately, and say which package to install.
  const aptPackage = /apt(?:-get)? install (\S+)/.exec(output)?.[1];
  if (aptPackage) {
    return (
      `Installing the Ollama language server failed: ${python} cannot create a virtual environment (ensurepip is not available). ` +
      `Install ${aptPackage} (“sudo apt install ${aptPackage}”), ${RETRY}`
    );
  }
  const lines = output.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  const error = lines.length ? shorten(lines[lines.length - 1]) : `it exited with status ${status}`;
  return `Installing the Ollama language server failed: ${python} cannot create a virtual environment (${error}). Fix what it says, ${RETRY}`;
}
