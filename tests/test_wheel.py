"""The built wheel installs one top-level import name, `ollama_lsp`, and every module of the
folders it maps (a sub-package missing from pyproject's `packages` list would be left out)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_installs_only_ollama_lsp_with_every_module(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("ollama_lsp-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    top_level = {name.split("/")[0] for name in names}
    assert {name for name in top_level if not name.endswith(".dist-info")} == {"ollama_lsp"}

    package_dirs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"
    ]
    expected = {
        f"{package.replace('.', '/')}/{module.relative_to(ROOT / folder).as_posix()}"
        for package, folder in package_dirs.items()
        for module in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in module.parts
    }
    assert expected, "pyproject.toml maps no folder"
    assert not expected - names, f"modules missing from the wheel: {sorted(expected - names)}"
