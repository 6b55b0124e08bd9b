#!/usr/bin/env bash
# Set up on a fresh machine and run the main job: ask a question from the terminal client and
# watch the answer stream in (Ctrl-C stops it). Extra arguments go to `ollama-lsp chat`.
# Without a running Ollama the answer comes from the embedded model (SmolLM2-135M, in-process):
# the first run builds its engine and fetches it (minutes, with progress), later runs start at once.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup-embedded.sh" ""
# A question the 135M embedded model answers right (it explains a regex wrongly, for one).
if [ "$#" -eq 0 ]; then set -- "Write a Python function that reverses a string."; fi
echo "==> asking: answered by Ollama if it runs, else by the embedded SmolLM2-135M — small, to see the" \
  "streaming and the Stop work; for real answers run Ollama with a code model (ollama pull qwen2.5-coder:1.5b)" >&2
exec "$root/.venv/bin/ollama-lsp" chat "$@"
