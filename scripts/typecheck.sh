#!/usr/bin/env bash
# mypy (strict) over every package the wheel installs, under their import names.
# The folders are mapped (`server/` is `ollama_lsp.server`, see pyproject's package-dir), and
# mypy cannot follow an editable install's mapping, so it reads a tree of links named the way
# the wheel names them. Usage: bash scripts/typecheck.sh (after scripts/bootstrap.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
links="$root/.cache/typecheck"
rm -rf "$links"
packages="$("$root/.venv/bin/python" - "$root" "$links" <<'PY'
import sys, tomllib
from pathlib import Path

root, links = Path(sys.argv[1]), Path(sys.argv[2])
mapping = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
for package, folder in mapping.items():
    link = links.joinpath(*package.split("."))
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(root / folder, target_is_directory=True)
    print(f"-p {package}")
PY
)"
cd "$links"
# shellcheck disable=SC2086  # one `-p NAME` per package
"$root/.venv/bin/mypy" --config-file "$root/pyproject.toml" --python-executable "$root/.venv/bin/python" $packages
