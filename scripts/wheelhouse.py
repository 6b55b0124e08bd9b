"""The `ollama-lsp` wheel, and a folder of its dependencies' wheels for installing it offline.

    python scripts/wheelhouse.py wheel OUTDIR    # builds the wheel into OUTDIR, prints its path
    python scripts/wheelhouse.py dependencies    # prints the dependencies' folder (made once)

The wheel is built through an sdist (`python -m build`), so it holds what a release would and
never a stale module from an earlier build. The dependencies' folder lives in the cache
(`$OLLAMA_LSP_CACHE/wheelhouse/<key>`), keyed by pyproject's dependency list and the Python
version, so the tests that install into a fresh virtual environment (and the VS Code
end-to-end tests, through `PIP_FIND_LINKS`) download them once, not on every run.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from ollama_lsp.agents.backends.embedded import cache_dir

ROOT = Path(__file__).resolve().parent.parent


def build_wheel(outdir: Path) -> Path:
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(
            [sys.executable, "-m", "build", "--outdir", scratch, str(ROOT)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        (built,) = Path(scratch).glob("ollama_lsp-*.whl")
        outdir.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(built, outdir))


def dependencies_folder() -> Path:
    """Wheels of everything the `ollama-lsp` wheel needs (and of pip), downloaded once."""
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    key = hashlib.sha256(
        "\n".join([sys.version.split()[0], *sorted(dependencies)]).encode()
    ).hexdigest()[:12]
    folder = cache_dir() / "wheelhouse" / key
    if folder.is_dir():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(partial), "pip", *dependencies],
        check=True,
    )
    partial.rename(folder)
    return folder


def main(argv: list[str]) -> int:
    if argv[:1] == ["wheel"] and len(argv) == 2:
        print(build_wheel(Path(argv[1])))
    elif argv == ["dependencies"]:
        print(dependencies_folder())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
