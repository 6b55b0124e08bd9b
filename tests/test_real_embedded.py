"""The embedded backend on the real model, over a real LSP connection: tokens stream as the
engine produces them, and Stop stops the engine itself."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from ollama_lsp.server.protocol import REQUEST_CANCELLED, REQUEST_FAILED, Command
from tests.lsp_helpers import OllamaClient, StartClient, open_document
from tests.real_model import (
    BUSY_CORES,
    IDLE_CORES,
    LONG,
    LONG_PROMPT,
    SHORT,
    cpu_cores_used,
    real_model_path,
)
from tests.support import free_port

pytestmark = pytest.mark.real_model


def server_pid(client: OllamaClient) -> int:
    assert client._server is not None
    return client._server.pid


async def _chat(client: OllamaClient, token: str = "t", prompt: str = "What is a regex?"):
    request_id, outcome = client.send_command(
        Command.CHAT, {"prompt": prompt, "options": SHORT}, token=token
    )
    result = await asyncio.wait_for(outcome, 300)
    client.wire.assert_nothing_after_response(request_id, token)
    return result


async def test_chat_streams_token_batches(start_client: StartClient):
    real_model_path()
    client = await start_client({"backend": "embedded"})
    result = await _chat(client)
    batches = client.wire.batches("t")
    assert len(batches) > 1
    assert client.wire.text("t") == result["text"] != ""
    # flushIntervalMs 0: every token is its own batch, and usage counts them.
    assert result["usage"]["completionTokens"] == len(batches)
    assert result["doneReason"] in ("stop", "length")
    assert result["model"] == real_model_path().stem  # what answered, not the setting
    assert client.wire.progress("t")[-1] == {"kind": "end", "message": "Done"}


@pytest.mark.parametrize("path", ["cancelRequest", "workDoneProgressCancel"])
async def test_cancel_stops_the_engine(start_client: StartClient, path: str):
    real_model_path()
    client = await start_client({"backend": "embedded"})
    pid = server_pid(client)
    request_id, outcome = client.send_command(
        Command.CHAT, {"prompt": LONG_PROMPT, "options": LONG}, token="t"
    )
    await client.wire.wait_for(lambda: len(client.wire.batches("t")) >= 3, timeout=120)
    assert await cpu_cores_used(pid, 0.5) > BUSY_CORES  # generating
    if path == "cancelRequest":
        client.cancel(request_id)
    else:
        client.cancel_progress("t")
    with pytest.raises(JsonRpcException) as excinfo:
        await asyncio.wait_for(outcome, 10)
    assert excinfo.value.code == REQUEST_CANCELLED
    # The engine is idle as soon as the cancel is answered, and nothing more streams.
    count = len(client.wire.events)
    assert await cpu_cores_used(pid, 1.0) < IDLE_CORES
    assert len(client.wire.events) == count
    client.wire.assert_nothing_after_response(request_id, "t")
    assert client.wire.progress("t")[-1] == {"kind": "end", "message": "Cancelled"}
    assert len(client.wire.batches("t")) < LONG["numPredict"]
    # The engine serves the next question.
    assert (await _chat(client, "next"))["text"]


async def test_two_chats_at_once_take_turns(start_client: StartClient):
    real_model_path()
    client = await start_client({"backend": "embedded"})
    results = await asyncio.gather(_chat(client, "a"), _chat(client, "b", "What is a list?"))
    for token, result in zip("ab", results, strict=True):
        assert len(client.wire.batches(token)) > 1
        assert client.wire.text(token) == result["text"] != ""


async def test_a_prompt_over_the_context_size_says_what_to_do(start_client: StartClient):
    real_model_path()
    client = await start_client({"backend": "embedded", "embedded": {"contextSize": 256}})
    _, outcome = client.send_command(Command.CHAT, {"prompt": "word " * 400}, token="t")
    with pytest.raises(JsonRpcException) as excinfo:
        await asyncio.wait_for(outcome, 60)
    assert excinfo.value.data["kind"] == "backendError"
    assert "ollama.embedded.contextSize" in excinfo.value.message
    assert (await _chat(client, "short"))["text"]


async def test_auto_uses_the_embedded_model_without_ollama(start_client: StartClient):
    real_model_path()
    client = await start_client({"backend": "auto", "baseUrl": f"http://127.0.0.1:{free_port()}"})
    result = await _chat(client)
    assert len(client.wire.batches("t")) > 1
    assert client.wire.text("t") == result["text"]
    models = await client.command(Command.LIST_MODELS, {})
    assert [m["name"] for m in models["models"]] == ["SmolLM2-135M-Instruct.Q4_1"]
    # Whatever model is named, the file answers: the editor shows that one, and who answers.
    assert models["backend"] == "the embedded model"
    assert models["fixedModel"] == "SmolLM2-135M-Instruct.Q4_1"


async def test_auto_without_ollama_or_model_says_both_ways_out(start_client: StartClient, tmp_path):
    port = free_port()
    client = await start_client(
        {
            "backend": "auto",
            "baseUrl": f"http://127.0.0.1:{port}",
            "embedded": {"modelPath": str(tmp_path / "missing.gguf")},
        }
    )
    _, outcome = client.send_command(Command.CHAT, {"prompt": "q"}, token="t")
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    error = excinfo.value
    assert error.code == REQUEST_FAILED
    assert error.data["kind"] == "unreachable"
    assert f"Cannot reach Ollama at http://127.0.0.1:{port}" in error.message
    assert "ollama serve" in error.message
    assert "missing.gguf" in error.message and "ollama.embedded.modelPath" in error.message


async def test_a_file_that_is_not_a_model_is_reported(start_client: StartClient, tmp_path):
    not_a_model = tmp_path / "notes.gguf"
    not_a_model.write_text("not a model")
    client = await start_client(
        {"backend": "embedded", "embedded": {"modelPath": str(not_a_model)}}
    )
    _, outcome = client.send_command(Command.CHAT, {"prompt": "q"}, token="t")
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.data["kind"] == "backendError"
    assert "notes.gguf" in excinfo.value.message and "modelPath" in excinfo.value.message
    # The server keeps serving: the real model once the setting is fixed.
    real_model_path()
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(settings={"ollama": {"embedded": {"modelPath": ""}}})
    )
    assert (await _chat(client, "fixed"))["text"]


async def test_inline_completion_from_the_prefix_alone(start_client: StartClient):
    """SmolLM2 has no fill-in-the-middle tokens: it continues the code before the cursor."""
    real_model_path()
    client = await start_client({"backend": "embedded", "completion": {"maxTokens": 16}})
    open_document(client, "numbers = [1, 2, 3, 4, 5, 6, 7, 8\n")
    _, outcome = client.send_completion(0, 33, invoked=True)
    (item,) = (await asyncio.wait_for(outcome, 300)).items
    assert item.insert_text.strip()
