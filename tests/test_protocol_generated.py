"""docs/protocol.md's tables and client-vscode/src/protocol.ts are generated from
server/protocol.py: they must be what the generator writes today."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "generate_protocol", ROOT / "scripts" / "generate_protocol.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_files_are_up_to_date() -> None:
    generator = _generator()
    stale = [str(path.relative_to(ROOT)) for path in generator.stale()]
    assert not stale, (
        f"{', '.join(stale)} out of date with server/protocol.py: run `{generator.COMMAND}`"
    )
