"""Every failure gets a clear error that says what to do, and the server keeps serving."""

from __future__ import annotations

import asyncio

import pytest
from pygls.exceptions import JsonRpcException

from fake_model_server import FakeModelServer, Script
from ollama_lsp.server.protocol import INVALID_PARAMS, REQUEST_FAILED, Command
from tests.lsp_helpers import OllamaClient, StartClient, wait_until
from tests.support import free_port


async def _fails(client: OllamaClient, argument, token="t", command=Command.CHAT):
    request_id, outcome = client.send_command(command, argument, token=token)
    with pytest.raises(JsonRpcException) as excinfo:
        async with asyncio.timeout(30):  # a server that never answers fails, not hangs
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
    assert result["backend"] == "Ollama"
    assert "fixedModel" not in result  # the model a request names answers
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


# --- model servers that misbehave (issue 10: deadlines, line limit, pool, messages) ----------


async def test_bytes_that_make_no_token_hit_the_first_token_deadline(
    start_client: StartClient, fake
):
    fake.script(Script(dribble_after=0))
    client = await start_client({"timeouts": {"firstTokenS": 0.5}})
    error = await _fails(client, {"prompt": "q"})
    assert error.data["kind"] == "timeout"
    assert "firstTokenS" in error.message
    await fake.wait_disconnect(fake.requests[-1], timeout=2)
    await _still_serves(client, fake)


async def test_bytes_that_make_no_token_hit_the_idle_deadline(start_client: StartClient, fake):
    fake.script(Script(chunks=["a", "b"], dribble_after=1))
    client = await start_client({"timeouts": {"idleS": 0.5}})
    error = await _fails(client, {"prompt": "q"})
    assert error.data["kind"] == "timeout"
    assert "idleS" in error.message
    assert error.data["partialText"] == "a"
    await fake.wait_disconnect(fake.requests[-1], timeout=2)


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_a_line_that_never_ends_is_cut_off(start_client: StartClient, fake, backend):
    fake.script(Script(chunks=["kept ", "lost"], endless_line_after=1))
    client = await start_client({"backend": backend})
    error = await _fails(client, {"prompt": "q"})
    assert error.data["kind"] == "streamError"
    assert "MiB without a line break" in error.message
    assert error.data["partialText"] == "kept "
    await fake.wait_disconnect(fake.requests[-1], timeout=2)
    await _still_serves(client, fake)


async def test_a_full_pool_says_so_and_does_not_blame_the_model(start_client: StartClient, fake):
    fake.script(Script(chunks=["a", "b"], stall_after=1), match="long")
    client = await start_client({"limits": {"maxConnections": 1}, "timeouts": {"firstTokenS": 1}})
    long_id, long_chat = client.send_command(Command.CHAT, {"prompt": "long"}, token="long")
    await fake.wait_for_request()
    error = await _fails(client, {"prompt": "q"})
    assert error.data["kind"] == "poolTimeout"
    assert "waiting for a free connection: 1 in use" in error.message
    assert "`ollama.limits.maxConnections`" in error.message
    assert len(fake.requests) == 1
    client.cancel(long_id)
    with pytest.raises(JsonRpcException):
        await long_chat
    await _still_serves(client, fake)


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_a_web_page_at_the_base_url_is_named(start_client: StartClient, fake, backend):
    fake.script(Script(page="<!DOCTYPE html>\n<html><title>Router login</title></html>\n"))
    client = await start_client({"backend": backend})
    error = await _fails(client, {"prompt": "q"})
    assert error.data["kind"] == "notAModelServer"
    assert "text/html" in error.message
    assert "<!DOCTYPE html>" in error.message
    assert "`ollama.baseUrl`" in error.message
    await _still_serves(client, fake)


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_a_refused_key_is_named_and_never_echoed(start_client: StartClient, fake, backend):
    key = "sk-live-0123456789abcdef"
    fake.script(Script(status=401, error="invalid key in {authorization}"))
    client = await start_client({"backend": backend, "apiKey": key})
    error = await _fails(client, {"prompt": "q"})
    assert error.data["kind"] == "unauthorized"
    assert "refused the API key" in error.message
    assert "`ollama.apiKey`" in error.message
    assert key not in error.message and "0123456789abcdef" not in error.message
    assert fake.requests[-1].headers["authorization"] == f"Bearer {key}"
