#!/usr/bin/env bash
# The VS Code extension on a fresh machine (or again, quickly): install what it needs, build it,
# package the .vsix, run the unit tests and the end-to-end tests in code-server + Chromium.
# Needs Node.js 20 with npm and the repository's .venv (scripts/bootstrap.sh makes it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$here"

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo none)"
if [ "$node_major" != "20" ]; then
  echo "client-vscode needs Node.js 20 (code-server 4.100.3 runs on 20 only); found: $node_major" >&2
  exit 1
fi

# Chromium for the browser, ripgrep for VS Code's search, a compiler and Kerberos headers for
# code-server's native modules.
missing=()
for package in chromium ripgrep libkrb5-dev build-essential python3; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

[ -x "$root/.venv/bin/ollama-lsp" ] || bash "$root/scripts/bootstrap.sh" "test"

# npm ci only when the lock file changed since the last install.
if ! cmp -s package-lock.json node_modules/.installed-lock.json; then
  echo "==> npm ci" >&2
  npm ci --no-audit --no-fund >&2
  cp package-lock.json node_modules/.installed-lock.json
fi

echo "==> build and package the extension" >&2
npm run --silent build >&2
npm run --silent package >&2

echo "==> extension unit tests" >&2
npm run --silent test:unit
npm run --silent bench:panel -- --quick

echo "==> code-server" >&2
bash scripts/setup-code-server.sh

echo "==> extension end-to-end tests (code-server, Chromium, ollama-lsp, fake model server)" >&2
npm run --silent test:e2e
echo "screenshot of the chat mid-stream: $here/.e2e/artifacts/chat-mid-stream.png" >&2
echo "screenshot of a long answer, light theme: $here/.e2e/artifacts/chat-light.png" >&2
echo "screenshot of a long answer, dark theme: $here/.e2e/artifacts/chat-dark.png" >&2
echo "screenshot of a long answer, high-contrast theme: $here/.e2e/artifacts/chat-high-contrast.png" >&2
echo "screenshot of the first-use install of the bundled server: $here/.e2e/artifacts/first-use-install.png" >&2
echo "screenshot of ghost text (inline completion): $here/.e2e/artifacts/ghost-text.png" >&2
echo "screenshot of the chat history list: $here/.e2e/artifacts/history-list.png" >&2
