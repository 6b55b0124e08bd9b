#!/usr/bin/env bash
# Install what the tests need (a fresh machine has nothing) and run them all.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# The real-model tests need the embedded engine and model, and llama.cpp's OpenAI server; the
# gateway tests LiteLLM's proxy.
bash scripts/setup-embedded.sh "test,llama-server,gateway"
echo "==> ruff" >&2
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> mypy" >&2
bash scripts/typecheck.sh
echo "==> pytest" >&2
.venv/bin/pytest -q "$@"
echo "==> benchmarks, quick: they run and their invariants hold" >&2
.venv/bin/python -m bench --quick
echo "==> VS Code extension" >&2
bash client-vscode/scripts/ci.sh
