"""The built wheel, installed into a fresh virtual environment (what `pipx install` does), gives a
working `ollama-lsp`: its version, and a chat streamed from the fake model server.

Slow (marked `install`): builds the wheel through an sdist and installs it with its
dependencies; about a minute on 2 busy cores, plus one download of the dependencies' wheels into
the cache on the first run (scripts/wheelhouse.py).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fake_model_server import FakeModelServer, Script
from ollama_lsp.server import __version__

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.install


def wheelhouse(*args: str) -> Path:
    """scripts/wheelhouse.py's answer: the path it prints."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "wheelhouse.py"), *args],
        check=True, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    return Path(done.stdout.strip())


def outside_the_checkout() -> dict[str, str]:
    """An environment in which nothing of the checkout can be imported."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ollama-lsp` of a fresh virtual environment holding the built wheel and its dependencies."""
    folder = tmp_path_factory.mktemp("installed")
    wheel = wheelhouse("wheel", str(folder / "dist"))
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
         "--no-index", "--find-links", str(wheelhouse("dependencies")), str(wheel)],
        check=True, env=outside_the_checkout(), timeout=600,
    )  # fmt: skip
    return venv / "bin" / "ollama-lsp"


def test_the_installed_command_says_its_version(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [str(installed), "--version"], cwd=tmp_path, env=outside_the_checkout(),
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == f"ollama-lsp {__version__}"


async def test_the_installed_command_chats(
    installed: Path, fake: FakeModelServer, tmp_path: Path
) -> None:
    fake.script(Script(chunks=["Streamed ", "from ", "the ", "installed ", "wheel."]))
    process = await asyncio.create_subprocess_exec(
        str(installed), "chat", "say hello", "--base-url", fake.base_url, "--model", "test-model",
        cwd=tmp_path, env=outside_the_checkout(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode() == "Streamed from the installed wheel.\n"
    assert fake.requests[0].last_user_message == "say hello"
    # The server that answered is the installed one, not this checkout's.
    where = subprocess.run(
        [str(installed.parent / "python"), "-c",
         "import ollama_lsp.server as s; print(s.__file__)"],
        cwd=tmp_path, env=outside_the_checkout(), capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(installed.parent.parent)
