"""The OpenAI-compatible backend against llama.cpp's own server (`python -m llama_cpp.server`)
on the real model: streaming, Stop reaching the server, and two chats at once."""

from __future__ import annotations

import asyncio

import pytest
from pygls.exceptions import JsonRpcException

from ollama_lsp.server.protocol import REQUEST_CANCELLED, Command
from tests.lsp_helpers import OllamaClient, StartClient, open_document, wait_until
from tests.real_model import (
    BUSY_CORES,
    IDLE_CORES,
    LONG,
    LONG_PROMPT,
    SHORT,
    LlamaServer,
    cpu_cores_used,
    llama_server,
    short_answer_streams,
)

__all__ = ["llama_server"]

pytestmark = pytest.mark.real_model


async def _client(start_client: StartClient, server: LlamaServer) -> OllamaClient:
    return await start_client({"backend": "openai", "baseUrl": server.base_url, "model": "smollm2"})


async def test_chat_streams_token_batches(start_client: StartClient, llama_server: LlamaServer):
    result = await short_answer_streams(await _client(start_client, llama_server))
    assert result["model"] == "smollm2"


async def test_cancel_stops_the_server_generating(
    start_client: StartClient, llama_server: LlamaServer
):
    client = await _client(start_client, llama_server)
    pid = llama_server.process.pid
    request_id, outcome = client.send_command(
        Command.CHAT, {"prompt": LONG_PROMPT, "options": LONG}, token="t"
    )
    await client.wire.wait_for(lambda: len(client.wire.batches("t")) >= 3, timeout=120)
    assert await cpu_cores_used(pid, 0.5) > BUSY_CORES  # generating
    client.cancel(request_id)
    with pytest.raises(JsonRpcException) as excinfo:
        await asyncio.wait_for(outcome, 10)
    assert excinfo.value.code == REQUEST_CANCELLED
    client.wire.assert_nothing_after_response(request_id, "t")
    await wait_until(lambda: "Disconnected from client" in llama_server.log_text(), timeout=5)
    assert await cpu_cores_used(pid, 1.0) < IDLE_CORES
    assert len(client.wire.batches("t")) < LONG["numPredict"]


async def test_two_chats_at_once(start_client: StartClient, llama_server: LlamaServer):
    client = await _client(start_client, llama_server)
    sent = [
        client.send_command(Command.CHAT, {"prompt": prompt, "options": SHORT}, token=token)
        for token, prompt in (("a", "What is a regex?"), ("b", "What is a list in Python?"))
    ]
    results = await asyncio.wait_for(asyncio.gather(*(outcome for _, outcome in sent)), 240)
    for (request_id, _), token, result in zip(sent, "ab", results, strict=True):
        assert len(client.wire.batches(token)) > 1
        assert client.wire.text(token) == result["text"] != ""
        client.wire.assert_nothing_after_response(request_id, token)
    assert results[0]["conversationId"] != results[1]["conversationId"]


async def test_inline_completion_over_v1_completions(
    start_client: StartClient, llama_server: LlamaServer
):
    """SmolLM2 has no fill-in-the-middle: `fimTemplate: none` sends the prefix alone."""
    client = await start_client(
        {
            "backend": "openai",
            "baseUrl": llama_server.base_url,
            "completion": {"model": "smollm2", "fimTemplate": "none", "maxTokens": 16},
        }
    )
    open_document(client, "numbers = [1, 2, 3, 4, 5, 6, 7, 8\n")
    _, outcome = client.send_completion(0, 33, invoked=True)
    (item,) = (await asyncio.wait_for(outcome, 120)).items
    assert item.insert_text.strip()
