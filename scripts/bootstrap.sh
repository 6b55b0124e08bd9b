#!/usr/bin/env bash
# Create .venv (if missing) and install ollama-lsp into it with the given extras.
# Usage: source scripts/bootstrap.sh [extras]   e.g. "test"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="${1:-}"
if [ ! -x "$root/.venv/bin/python" ]; then
  echo "==> creating $root/.venv" >&2
  python3 -m venv "$root/.venv"
  "$root/.venv/bin/pip" install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" >&2 || true
fi
echo "==> installing ollama-lsp${extras:+[$extras]} into .venv" >&2
"$root/.venv/bin/pip" install -q -e "$root${extras:+[$extras]}" 2>&1 | grep -v "^WARNING: Location" >&2 || true
"$root/.venv/bin/python" -c "import ollama_lsp.server, ollama_lsp.agents" # fails loudly if the install did not work
