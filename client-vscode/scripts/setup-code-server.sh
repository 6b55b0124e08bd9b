#!/usr/bin/env bash
# Install code-server 4.100.3 (VS Code in the browser; the last release that runs on Node 20)
# into client-vscode/.e2e/code-server without downloading anything but npm packages:
# its install scripts fetch ripgrep, argon2 and node-gyp headers from the internet, so they
# are skipped and their work is done here with Debian's ripgrep and Node's own headers.
# Idempotent: a finished install is recognised by its stamp file and left alone.
# Needs: Debian packages ripgrep, libkrb5-dev, build-essential, python3 (see ci.sh).
set -euo pipefail
version="4.100.3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${CODE_SERVER_PREFIX:-$here/.e2e/code-server}"
stamp="$prefix/.installed-$version"
if [ -f "$stamp" ]; then
  echo "code-server $version already installed in $prefix" >&2
  exit 0
fi

# Build native modules against the installed Node's headers (nothing is downloaded).
node_prefix="$(dirname "$(dirname "$(command -v node)")")"
test -f "$node_prefix/include/node/node.h" || { echo "no Node headers under $node_prefix/include/node" >&2; exit 1; }
export npm_config_nodedir="$node_prefix"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

rm -rf "$prefix"
mkdir -p "$prefix"
cd "$prefix"
echo '{"name":"code-server-e2e","private":true}' > package.json
echo "==> npm install code-server@$version (scripts skipped)" >&2
npm install --ignore-scripts --no-save "code-server@$version" >&2
npm rebuild argon2 --build-from-source >&2

cs="$prefix/node_modules/code-server"
cd "$cs/lib/vscode"
echo "==> VS Code's dependencies" >&2
npm install --omit=dev --ignore-scripts >&2
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
echo "==> native modules" >&2
# npm's bundled node-gyp, run directly: node-pty's own install script would fetch node-gyp with npx.
node_gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
for module in node-pty @vscode/spdlog native-watchdog kerberos @vscode/deviceid; do
  (cd "node_modules/$module" && node "$node_gyp" rebuild --nodedir="$node_prefix" >&2)
done

# The rest of code-server's postinstall.sh.
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --ignore-scripts >&2)

touch "$stamp"
echo "code-server $version installed in $prefix" >&2
