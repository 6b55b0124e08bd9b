"""Every failure gets a clear error that says what to do, and the server keeps serving."""

from __future__ import annotations

import pytest
from pygls.exceptions import JsonRpcException

from fake_model_server import FakeModelServer, Script
from ollama_lsp.server.protocol import INVALID_PARAMS, REQUEST_FAILED, Command
from tests.lsp_helpers import OllamaClient, StartClient, wait_until
from tests.support import free_port


async def _fails(client: OllamaClient, argument, token="t", command=Command.CHAT):
    request_id, outcome = client.send_command(command, argument, token=token)
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    client.wire.assert_nothing_after_response(request_id, token)
    return excinfo.value


async def _still_serves(client: OllamaClient, fake: FakeModelServer) -> None:
    fake.script(Script(chunks=["fine"]))
    result = await client.command(Command.CHAT, {"prompt": "again?"})
    assert result["text"] == "fine"


@pytest.mark.parametrize(
    ("argument", "field"),
    [
        ({}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "   \n"}, "prompt"),
        ({"prompt": 42}, "prompt"),
        ({"prompt": "x" * 200}, "prompt"),  # over limits.maxPromptChars (100 below)
        ({"prompt": "q", "model": ["x"]}, "model"),
        ({"prompt": "q", "conversationId": 3}, "conversationId"),
        ({"prompt": "q", "options": "hot"}, "options"),
        ({"prompt": "q", "context": {"uri": "x"}}, "context"),
        ({"prompt": "q", "context": [{"range": None}]}, "context[0].uri"),
        ({"prompt": "q", "context": [{"uri": "file:///nowhere/x.py"}]}, "context[0].uri"),
        ("just a string", ""),
    ],
)
async def test_invalid_arguments_name_the_field(
    start_client: StartClient, fake: FakeModelServer, argument, field
):
    client = await start_client({"limits": {"maxPromptChars": 100}})
    _, outcome = client.send_command(Command.CHAT, argument)
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.code == INVALID_PARAMS
    assert excinfo.value.data == {"field": field}
    if field:
        assert f"`{field}`" in excinfo.value.message
    assert fake.requests == []
    await _still_serves(client, fake)


async def test_wrong_number_of_arguments(start_client: StartClient, fake):
    client = await start_client()
    for arguments in ([], [{"prompt": "a"}, {"prompt": "b"}]):
        _, outcome = client.send_command(Command.CHAT, arguments=arguments)
        with pytest.raises(JsonRpcException) as excinfo:
            await outcome
        assert excinfo.value.code == INVALID_PARAMS


async def test_unknown_command(start_client: StartClient, fake):
    client = await start_client()
    _, outcome = client.send_command("ollama.nope", {})
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.code == INVALID_PARAMS
    assert "ollama.nope" in excinfo.value.message


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_unreachable_model_server(start_client: StartClient, fake, backend):
    port = free_port()
    client = await start_client({"backend": backend, "baseUrl": f"http://127.0.0.1:{port}"})
    error = await _fails(client, {"prompt": "q"})
    assert error.code == REQUEST_FAILED
    assert error.data["kind"] == "unreachable"
    assert f"127.0.0.1:{port}" in error.message
    assert "ollama.baseUrl" in error.message
    if backend == "ollama":
        assert "ollama serve" in error.message
    assert client.wire.progress("t")[-1]["kind"] == "end"


async def test_model_not_installed(start_client: StartClient, fake):
    client = await start_client()
    error = await _fails(client, {"prompt": "q", "model": "llama9:70b"})
    assert error.code == REQUEST_FAILED
    assert error.data["kind"] == "modelNotFound"
    assert "ollama pull llama9:70b" in error.message
    await _still_serves(client, fake)


async def test_http_error_from_the_model_server(start_client: StartClient, fake):
    fake.script(Script(status=500, error="CUDA out of memory"))
    client = await start_client()
    error = await _fails(client, {"prompt": "q"})
    assert error.data["kind"] == "backendError"
    assert "CUDA out of memory" in error.message
    await _still_serves(client, fake)


async def test_error_line_mid_stream_keeps_the_partial_text(start_client: StartClient, fake):
    fake.script(Script(chunks=["partial ", "answer ", "never"], error_after=2, error="GPU lost"))
    client = await start_client()
    error = await _fails(client, {"prompt": "q"})
    assert error.data["kind"] == "streamError"
    assert "GPU lost" in error.message
    assert error.data["partialText"] == "partial answer " == client.wire.text("t")
    assert client.wire.progress("t")[-1]["kind"] == "end"
    await _still_serves(client, fake)


async def test_connection_dropped_mid_stream(start_client: StartClient, fake):
    fake.script(Script(chunks=["one ", "two ", "three"], drop_after=2))
    client = await start_client()
    error = await _fails(client, {"prompt": "q"})
    assert error.data["kind"] == "streamDropped"
    assert error.data["partialText"] == "one two "
    await _still_serves(client, fake)


async def test_idle_timeout(start_client: StartClient, fake):
    fake.script(Script(chunks=["a", "b", "c"], stall_after=1))
    client = await start_client({"timeouts": {"idleS": 0.3}})
    error = await _fails(client, {"prompt": "q"})
    assert error.data["kind"] == "timeout"
    assert "idleS" in error.message
    assert error.data["partialText"] == "a"
    await fake.wait_disconnect(fake.requests[-1], timeout=2)
    await _still_serves(client, fake)


async def test_first_token_timeout(start_client: StartClient, fake):
    fake.script(Script(first_delay_s=5))
    client = await start_client({"timeouts": {"firstTokenS": 0.3}})
    error = await _fails(client, {"prompt": "q"})
    assert error.data["kind"] == "timeout"
    assert "partialText" not in error.data


async def test_malformed_lines_are_skipped(start_client: StartClient, fake):
    fake.script(Script(chunks=["good ", "still good"], garbage_after=1))
    client = await start_client()
    result = await client.command(Command.CHAT, {"prompt": "q"})
    assert result["text"] == "good still good"


async def test_list_models_and_its_errors(start_client: StartClient, fake):
    client = await start_client()
    result = await client.command(Command.LIST_MODELS, {})
    assert result["default"] == "test-model"
    tagged = [name if ":" in name else f"{name}:latest" for name in fake.models]
    assert [m["name"] for m in result["models"]] == tagged
    assert all(m["sizeBytes"] > 0 for m in result["models"])
    await fake.stop()
    _, outcome = client.send_command(Command.LIST_MODELS, {})
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.data["kind"] == "unreachable"


async def test_invalid_settings_are_reported_and_replaced_by_defaults(start_client, fake):
    client = await start_client(
        {"backend": "llama", "timeouts": {"idleS": "soon"}, "streaming": {"flushIntervalMs": -5}}
    )
    await wait_until(lambda: client.messages)
    message = client.messages[0].message
    for name in ("ollama.backend", "ollama.timeouts.idleS", "ollama.streaming.flushIntervalMs"):
        assert name in message
    result = await client.command(Command.CHAT, {"prompt": "q"})  # still works on defaults
    assert result["text"] == "Hello, world!"
