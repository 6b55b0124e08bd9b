"""Helpers for the tests on the real small model (SmolLM2-135M, set up by
scripts/setup-embedded.sh): where it is, how busy a process is, and llama.cpp's own server.

The model is not deterministic in quality, so these tests use temperature 0, a fixed seed and a
bounded answer, and assert on the stream's structure, never on what the model says.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from ollama_lsp.agents.backends.base import EmbeddedConfig
from ollama_lsp.agents.backends.embedded import model_path, unavailable_reason
from ollama_lsp.server.protocol import Command
from tests.lsp_helpers import OllamaClient
from tests.support import free_port, serving

#: A short answer, reproducible.
SHORT = {"temperature": 0, "seed": 7, "numPredict": 40}
#: An answer far longer than any test waits for (cancel tests).
LONG = {"temperature": 0, "seed": 7, "numPredict": 1500}
LONG_PROMPT = "Write a very long story about a dragon who learns to program, chapter by chapter."

#: Average CPU use (in cores) that counts as "generating" and as "idle". Generation keeps
#: `threads` cores busy (less on a loaded machine, where others take turns); an idle server
#: uses next to nothing.
BUSY_CORES = 0.15
IDLE_CORES = 0.05


def real_model_path() -> Path:
    """The default GGUF; fails (not skips) when it is missing, saying how to get it."""
    reason = unavailable_reason(EmbeddedConfig())
    if reason is not None:
        pytest.fail(f"The real-model tests need the embedded model: {reason}")
    return model_path(EmbeddedConfig())


async def short_answer_streams(client: OllamaClient) -> dict[str, Any]:
    """Ask the real model a short question: the answer streams in several batches, all before
    the response, and they make its text. Returns the result."""
    request_id, outcome = client.send_command(
        Command.CHAT, {"prompt": "What is a regex?", "options": SHORT}, token="t"
    )
    result: dict[str, Any] = await asyncio.wait_for(outcome, 120)
    assert len(client.wire.batches("t")) > 1
    assert client.wire.text("t") == result["text"] != ""
    client.wire.assert_nothing_after_response(request_id, "t")
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cpu_cores_used(pid: int, seconds: float) -> float:
    """The average number of cores the process keeps busy over the next `seconds`."""
    before, started = cpu_seconds(pid), time.perf_counter()
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.perf_counter() - started)


@attrs.frozen
class LlamaServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def running_llama_server(port: int, log: Path) -> Iterator[LlamaServer]:
    """`python -m llama_cpp.server` with the real model on loopback `port`, its log in `log`.

    `--interrupt_requests False`: by default a new request interrupts the one streaming; queued,
    two concurrent chats both complete.
    """
    model = real_model_path()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
             "--model_alias", "smollm2", "--n_ctx", "2048", "--n_threads", "2",
             "--host", "127.0.0.1", "--port", str(port), "--interrupt_requests", "False"],
            stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    server = LlamaServer(f"http://127.0.0.1:{port}/v1", process, log)
    with serving(process, f"{server.base_url}/models", "llama_cpp.server", log, 90):
        yield server


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """llama.cpp's server on the real model, on a free loopback port."""
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with running_llama_server(free_port(), log) as server:
        yield server
