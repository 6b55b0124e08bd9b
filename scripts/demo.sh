#!/usr/bin/env bash
# Set up on a fresh machine and run the main job: ask a question from the terminal client and
# watch the answer stream in (Ctrl-C stops it). Extra arguments go to `ollama-lsp chat`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/bootstrap.sh" ""
if [ "$#" -eq 0 ]; then set -- "explain this regex: ^a+b?\$"; fi
exec "$root/.venv/bin/ollama-lsp" chat "$@"
