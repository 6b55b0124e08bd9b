"""`backend: "auto"` decides once, on first use: Ollama when it answers, else the embedded
model, else an error naming both ways out — and it re-probes after a failed decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_model_server import FakeModelServer, Script
from ollama_lsp.agents.backends import (
    AutoBackend,
    BackendConfig,
    BackendError,
    EmbeddedBackend,
    EmbeddedConfig,
    OllamaBackend,
    create_backend,
)
from tests.real_model import real_model_path
from tests.support import FAST, chat, collect, free_port, text_of


def auto(base_url: str, model_path: str = "") -> AutoBackend:
    backend = create_backend(
        "auto",
        BackendConfig(base_url, timeouts=FAST, embedded=EmbeddedConfig(model_path=model_path)),
    )
    assert isinstance(backend, AutoBackend)
    return backend


async def test_picks_ollama_when_it_answers(fake: FakeModelServer):
    fake.script(Script(chunks=["from ", "ollama"]))
    backend = auto(fake.base_url)
    try:
        assert text_of(await collect(backend, chat())) == "from ollama"
        assert isinstance(await backend.chosen(), OllamaBackend)
        assert backend.display_name == "Ollama"
        assert [r.path for r in fake.requests] == ["/api/chat"]
    finally:
        await backend.aclose()


@pytest.mark.real_model
async def test_picks_the_embedded_model_without_ollama():
    real_model_path()
    backend = auto(f"http://127.0.0.1:{free_port()}")
    try:
        assert isinstance(await backend.chosen(), EmbeddedBackend)
        assert backend.display_name == "the embedded model"
    finally:
        await backend.aclose()


async def test_neither_is_an_error_with_both_hints_and_probes_again(tmp_path: Path):
    port = free_port()
    backend = auto(f"http://127.0.0.1:{port}", str(tmp_path / "missing.gguf"))
    with pytest.raises(BackendError) as info:
        await backend.chosen()
    assert info.value.kind == "unreachable"
    assert f"Cannot reach Ollama at http://127.0.0.1:{port}" in info.value.message
    assert "`ollama serve`" in info.value.message
    assert (
        "missing.gguf" in info.value.message and "ollama.embedded.modelPath" in info.value.message
    )
    # Not kept: once Ollama answers there, auto picks it.
    async with FakeModelServer(port=port):
        assert isinstance(await backend.chosen(), OllamaBackend)
    await backend.aclose()
