"""Stop really stops: both cancel paths close the model's connection, in the right order."""

from __future__ import annotations

import asyncio

import pytest
from pygls.exceptions import JsonRpcException

from fake_model_server import FakeModelServer, Script
from ollama_lsp.server.protocol import REQUEST_CANCELLED, Command
from tests.lsp_helpers import OllamaClient, StartClient

SLOW = Script(chunks=[f"tok{i} " for i in range(1000)], delay_s=0.02)


async def _start_slow_chat(client: OllamaClient, fake: FakeModelServer, token: str = "t"):
    request_id, outcome = client.send_command(Command.CHAT, {"prompt": "go"}, token=token)
    request = await fake.wait_for_request()
    await client.wire.wait_for(lambda: len(client.wire.batches(token)) >= 3)
    return request_id, outcome, request


async def _assert_cancelled(client: OllamaClient, fake, request, request_id, outcome, token="t"):
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.code == REQUEST_CANCELLED
    await fake.wait_disconnect(request, timeout=2)
    assert not request.finished
    wire = client.wire
    wire.assert_nothing_after_response(request_id, token)
    assert wire.progress(token)[-1] == {"kind": "end", "message": "Cancelled"}
    # Nothing more arrives for that stream, even a while later.
    count = len(wire.events)
    await asyncio.sleep(0.2)
    assert len(wire.events) == count
    assert len(request.chunk_times) < 1000


@pytest.mark.parametrize("path", ["cancelRequest", "workDoneProgressCancel"])
async def test_cancel_closes_the_model_stream(start_client: StartClient, fake, path):
    fake.script(SLOW)
    client = await start_client()
    request_id, outcome, request = await _start_slow_chat(client, fake)
    if path == "cancelRequest":
        client.cancel(request_id)
    else:
        client.cancel_progress("t")
    await _assert_cancelled(client, fake, request, request_id, outcome)


async def test_cancel_twice_and_cancel_of_unknown_requests_are_quiet(start_client, fake):
    fake.script(SLOW)
    client = await start_client()
    client.cancel(999_999)  # never existed
    client.cancel_progress("no-such-token")
    request_id, outcome, request = await _start_slow_chat(client, fake)
    client.cancel(request_id)
    client.cancel(request_id)
    client.cancel_progress("t")
    await _assert_cancelled(client, fake, request, request_id, outcome)
    client.cancel(request_id)  # after the answer: still quiet
    fake.script(Script(chunks=["still ", "serving"]))
    result = await client.command(Command.CHAT, {"prompt": "next"})
    assert result["text"] == "still serving"
    assert not client.messages  # no window/showMessage about any of it


async def test_cancel_before_the_first_token(start_client: StartClient, fake):
    fake.script(Script(first_delay_s=10))
    client = await start_client()
    request_id, outcome = client.send_command(Command.CHAT, {"prompt": "go"}, token="t")
    request = await fake.wait_for_request()
    client.cancel(request_id)
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.code == REQUEST_CANCELLED
    await fake.wait_disconnect(request, timeout=2)
    assert client.wire.batches("t") == []
    assert client.wire.progress("t")[-1]["message"] == "Cancelled"


async def test_partial_answer_stays_in_history_marked_interrupted(start_client, fake):
    fake.script(SLOW)
    client = await start_client()
    request_id, outcome = client.send_command(
        Command.CHAT, {"prompt": "go", "conversationId": "c1"}, token="t"
    )
    await fake.wait_for_request()
    await client.wire.wait_for(lambda: len(client.wire.batches("t")) >= 3)
    client.cancel(request_id)
    with pytest.raises(JsonRpcException):
        await outcome
    partial = client.wire.text("t")
    fake.script(Script(chunks=["ok"]))
    await client.command(Command.CHAT, {"prompt": "and then?", "conversationId": "c1"})
    messages = fake.requests[-1].body["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"].startswith(partial)
    assert "interrupted" in messages[2]["content"]


async def test_cancel_while_the_client_reads_slowly(start_client: StartClient, fake):
    """A client that stops reading must not delay the cancel reaching the model."""
    fake.script(Script(chunks=["x" * 2000 for _ in range(5000)], delay_s=0.001))
    client = await start_client({"streaming": {"flushIntervalMs": 0}})
    request_id, outcome, request = await _start_slow_chat(client, fake)
    server = client._server
    assert server is not None
    # Stop reading the server's stdout: its pipe fills up while the model keeps streaming.
    stdout_reader = server.stdout
    assert stdout_reader is not None
    stdout_reader._transport.pause_reading()  # type: ignore[attr-defined]
    await asyncio.sleep(0.5)
    cancel_at = asyncio.get_running_loop().time()
    client.cancel(request_id)
    await fake.wait_disconnect(request, timeout=2)
    latency = asyncio.get_running_loop().time() - cancel_at
    stdout_reader._transport.resume_reading()  # type: ignore[attr-defined]
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.code == REQUEST_CANCELLED
    client.wire.assert_nothing_after_response(request_id, "t")
    assert latency < 2  # generous: the point is "not stalled behind the unread output"


async def test_shutdown_mid_stream_answers_every_request(start_client: StartClient, fake):
    fake.script(SLOW)
    client = await start_client()
    first = await _start_slow_chat(client, fake, token="a")
    second_id, second_outcome = client.send_command(Command.CHAT, {"prompt": "go"}, token="b")
    await fake.wait_for_request(2)
    await client.shutdown_async(None)
    for request_id, outcome, token in ((first[0], first[1], "a"), (second_id, second_outcome, "b")):
        with pytest.raises(JsonRpcException) as excinfo:
            await outcome
        assert excinfo.value.code == REQUEST_CANCELLED
        client.wire.assert_nothing_after_response(request_id, token)
    for request in fake.requests:
        await fake.wait_disconnect(request, timeout=2)
    client.exit(None)
    assert client._server is not None
    assert await asyncio.wait_for(client._server.wait(), timeout=5) == 0
    client.capabilities = None  # already shut down: the fixture must not do it again


async def test_a_progress_cancel_right_behind_its_request_stops_it(start_client, fake):
    """The client knows its token when it sends the request: a `window/workDoneProgress/cancel`
    that arrives before the command got going must not be lost (the answer would run on)."""
    fake.script(SLOW)
    client = await start_client()
    for n in range(20):
        token = f"early-{n}"
        _, outcome = client.send_command(Command.CHAT, {"prompt": f"go {n}"}, token=token)
        client.cancel_progress(token)
        with pytest.raises(JsonRpcException) as excinfo:
            await asyncio.wait_for(outcome, 5)
        assert excinfo.value.code == REQUEST_CANCELLED
    for request in fake.requests:
        await fake.wait_disconnect(request, timeout=2)
