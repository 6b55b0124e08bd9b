#!/usr/bin/env bash
# Make the embedded model work in .venv: ollama-lsp with the extras given (e.g. "test"), and
# `ollama-lsp setup-embedded` — llama-cpp-python built with CPU flags every x86-64 machine can
# run (cached), and the default GGUF in the cache folder (agents/backends/embedded_setup.py).
# Minutes on a fresh machine (the engine is compiled once), seconds afterwards.
# Usage: bash scripts/setup-embedded.sh [extras]
# Cache: $OLLAMA_LSP_CACHE, else $XDG_CACHE_HOME/ollama-lsp, else ~/.cache/ollama-lsp.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The engine is compiled unless its wheel is cached; a fresh machine has no compiler.
if ! command -v c++ >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing a C++ compiler (apt-get install g++)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >&2
fi
bash "$root/scripts/bootstrap.sh" ""
"$root/.venv/bin/ollama-lsp" setup-embedded >/dev/null
# The engine is installed now, so these extras only add pure-Python packages (`embedded` itself
# would otherwise pull a default-flags build of llama-cpp-python).
if [ -n "${1:-}" ]; then bash "$root/scripts/bootstrap.sh" "embedded,$1"; fi
