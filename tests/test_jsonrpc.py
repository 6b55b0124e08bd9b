"""The server is a strict JSON-RPC peer on stdio: every request gets exactly one answer, a broken
stream ends the session loudly, an editor going away ends it quietly.

Raw bytes over the real server process: a conforming client (pytest-lsp's) cannot send these.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from fake_model_server import FakeModelServer, Script
from ollama_lsp.server.jsonrpc import MAX_BODY_BYTES
from tests.support import RawPeer, frame, spawn_cli

PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602
CHAT = {"command": "ollama.chat", "arguments": [{"prompt": "go"}]}
SLOW = Script(chunks=[f"w{i} " for i in range(2000)], delay_s=0.01)


async def start(fake: FakeModelServer) -> tuple[asyncio.subprocess.Process, RawPeer]:
    process = await spawn_cli("--log-level", "INFO", base_url=fake.base_url)
    peer = RawPeer.of(process)
    await peer.initialize()
    return process, peer


async def ended(process: asyncio.subprocess.Process) -> tuple[int, str]:
    """The exit status and the whole stderr of a server that is ending by itself."""
    assert process.stderr is not None
    async with asyncio.timeout(10):
        stderr = await process.stderr.read()
        return await process.wait(), stderr.decode()


def assert_no_noise(peer: RawPeer, stderr: str) -> None:
    """No traceback in the log, no "Error in server" popup in the editor."""
    assert "Traceback" not in stderr, stderr
    shown = [n["params"]["message"] for n in peer.notifications if n["method"].endswith("Message")]
    assert not any("Traceback" in m or "Error in server" in m for m in shown), shown


async def shut_down_cleanly(process: asyncio.subprocess.Process, peer: RawPeer) -> None:
    """The session still works: shutdown is answered, exit ends it with 0, nothing was noisy."""
    shutdown = peer.request("shutdown")
    assert await peer.response() == {"jsonrpc": "2.0", "id": shutdown, "result": None}
    peer.notify("exit")
    status, stderr = await ended(process)
    assert status == 0
    assert_no_noise(peer, stderr)


def body(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


def request(**fields: Any) -> bytes:
    """A request body: shutdown with id 7 unless `fields` say otherwise (None drops a field)."""
    message = {"jsonrpc": "2.0", "id": 7, "method": "shutdown", **fields}
    return body({key: value for key, value in message.items() if value is not None})


COMMAND = "workspace/executeCommand"
MALFORMED = {
    "unparsable": (b"{not json", PARSE_ERROR, None),
    "not-utf8": (request(x="\u00ff").replace(b"\\u00ff", b"\xff"), PARSE_ERROR, None),
    "batch": (b"[" + request() + b"]", INVALID_REQUEST, None),
    "null": (b"null", INVALID_REQUEST, None),
    "number": (b"42", INVALID_REQUEST, None),
    "no-jsonrpc": (request(jsonrpc=None), INVALID_REQUEST, 7),
    "jsonrpc-1.0": (request(jsonrpc="1.0", id="a"), INVALID_REQUEST, "a"),
    "method-not-a-string": (request(method=3), INVALID_REQUEST, 7),
    "id-a-list": (request(id=[1]), INVALID_REQUEST, None),
    "hover-params-a-string": (request(method="textDocument/hover", params="x"), INVALID_PARAMS, 7),
    "command-params-a-string": (request(method=COMMAND, params="x"), INVALID_PARAMS, 7),
    "arguments-not-a-list": (
        request(method=COMMAND, params={"command": "ollama.chat", "arguments": "x"}),
        INVALID_PARAMS,
        7,
    ),
    "initialize-params-a-number": (request(method="initialize", params=5), INVALID_PARAMS, 7),
}  # fmt: skip


@pytest.mark.parametrize(("raw", "code", "answered_id"), MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_message_is_answered_once_and_the_session_goes_on(
    fake: FakeModelServer, raw: bytes, code: int, answered_id: Any
):
    process, peer = await start(fake)
    peer.send(frame(raw))
    answer = await peer.response()
    assert answer["id"] == answered_id
    assert answer["error"]["code"] == code, answer
    await shut_down_cleanly(process, peer)


async def test_requests_after_shutdown_are_refused_and_notifications_ignored(
    fake: FakeModelServer,
):
    process, peer = await start(fake)
    shutdown = peer.request("shutdown")
    assert (await peer.response(shutdown))["result"] is None
    document = {"uri": "file:///a.py", "languageId": "python", "version": 1, "text": "x"}
    peer.notify("textDocument/didOpen", {"textDocument": document})
    late = [peer.request("shutdown"), peer.request("workspace/executeCommand", CHAT)]
    for request_id in late:
        answer = await peer.response()
        assert answer["id"] == request_id
        assert answer["error"]["code"] == INVALID_REQUEST
    peer.notify("exit")
    status, stderr = await ended(process)
    assert status == 0
    assert fake.requests == []
    assert_no_noise(peer, stderr)


async def test_exit_without_shutdown_exits_with_1(fake: FakeModelServer):
    process, peer = await start(fake)
    peer.notify("exit")
    status, stderr = await ended(process)
    assert status == 1
    assert_no_noise(peer, stderr)


async def test_a_message_over_the_size_limit_is_skipped_without_holding_it(
    fake: FakeModelServer,
):
    """A body is read only when it can be held: a bigger one is skipped as it streams by
    (an error with id null: its id cannot be known without reading it), and the session goes on."""
    process, peer = await start(fake)
    peak_before = peak_rss_mb(process.pid)
    padding = MAX_BODY_BYTES + 1 - len(request(id=9))
    peer.send(b"Content-Length: %d\r\n\r\n" % (MAX_BODY_BYTES + 1) + request(id=9))
    for _ in range(padding // 2**20):
        peer.send(b" " * 2**20)
        await peer.writer.drain()
    peer.send(b" " * (padding % 2**20))
    answer = await peer.response(timeout=60)
    assert answer["id"] is None and answer["error"]["code"] == INVALID_REQUEST, answer
    assert "too large" in answer["error"]["message"]
    held_mb = peak_rss_mb(process.pid) - peak_before
    assert held_mb < MAX_BODY_BYTES / 2**20 / 4, f"the server held the message: +{held_mb} MB"
    await shut_down_cleanly(process, peer)


def peak_rss_mb(pid: int) -> float:
    """The most memory the process has held so far (VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status)[1]) / 1024  # type: ignore[index]


SHUTDOWN = request(id=9)
BROKEN = {
    "length-too-short": b"Content-Length: 5\r\n\r\n" + SHUTDOWN + frame(SHUTDOWN),
    "length-too-long": b"Content-Length: 90\r\n\r\n" + SHUTDOWN + frame(SHUTDOWN) * 2,
    "header-line-too-long": b"X-Padding: " + b"a" * 100_000 + b"\r\n" + frame(SHUTDOWN),
    "no-content-length": b"Content-Type: application/vscode-jsonrpc\r\n\r\n" + SHUTDOWN,
    "length-not-a-number": b"Content-Length: many\r\n\r\n" + SHUTDOWN,
    "not-a-header": b"hello\r\n" + frame(SHUTDOWN),
}


@pytest.mark.parametrize("raw", BROKEN.values(), ids=BROKEN.keys())
async def test_broken_framing_ends_the_session_with_one_line_and_status_1(
    fake: FakeModelServer, raw: bytes
):
    process, peer = await start(fake)
    peer.send(raw)
    await peer.drain()
    status, stderr = await ended(process)
    assert status == 1
    broken = [line for line in stderr.splitlines() if "ERROR" in line]
    assert len(broken) == 1, stderr
    assert "restart" in broken[0], broken
    logged = [
        n["params"]["message"] for n in peer.notifications if n["method"].endswith("logMessage")
    ]
    assert any(broken[0].endswith(message) for message in logged), (broken, logged)
    assert_no_noise(peer, stderr)


async def start_slow_chat(fake: FakeModelServer) -> tuple[asyncio.subprocess.Process, RawPeer]:
    fake.script(SLOW)
    process, peer = await start(fake)
    peer.request("workspace/executeCommand", CHAT)
    await fake.wait_for_request()
    return process, peer


def assert_one_info_line_about_the_editor(stderr: str) -> None:
    gone = [line for line in stderr.splitlines() if "closed" in line]
    assert len(gone) == 1 and " INFO " in gone[0], stderr
    assert " WARNING " not in stderr and " ERROR " not in stderr, stderr


async def test_stdin_closed_mid_stream_is_one_info_line(fake: FakeModelServer):
    process, peer = await start_slow_chat(fake)
    assert process.stdin is not None
    process.stdin.close()
    await fake.wait_disconnect(fake.requests[0])
    reading = asyncio.ensure_future(peer.drain())
    status, stderr = await ended(process)
    await reading
    assert status == 0
    assert_one_info_line_about_the_editor(stderr)
    assert_no_noise(peer, stderr)


async def test_stdout_closed_mid_stream_ends_the_session_quietly(fake: FakeModelServer):
    process, _ = await start_slow_chat(fake)
    assert process.stdout is not None
    process._transport.get_pipe_transport(1).close()  # type: ignore[attr-defined]
    await fake.wait_disconnect(fake.requests[0])
    status, stderr = await ended(process)
    assert status == 0, stderr
    assert_one_info_line_about_the_editor(stderr)
    assert "Traceback" not in stderr, stderr
