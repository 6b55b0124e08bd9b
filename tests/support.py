"""Helpers the test modules share (the LSP client's are in lsp_helpers.py): ports, the server's
command line run as a child process, the backends driven directly, scripted codegen stages."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_model_server import FakeModelServer, Script
from ollama_lsp.agents.backends import (
    BackendConfig,
    BackendError,
    ChatRequest,
    Delta,
    Message,
    ModelBackend,
    StreamEvent,
    Timeouts,
    create_backend,
)
from ollama_lsp.agents.codegen.prompts import CODE_TASK, PLAN_TASK, REVIEW_TASK, REVISE_TASK

#: `ollama-lsp` as the tests run it: this interpreter, this checkout.
SERVER_COMMAND = [sys.executable, "-m", "ollama_lsp.server"]


def free_port() -> int:
    """A loopback port nothing listens on (just now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def spawn_cli(
    *args: str,
    base_url: str,
    cwd: Path | None = None,
    stderr: int = asyncio.subprocess.PIPE,
    env: dict[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """`ollama-lsp ARGS --base-url URL --model test-model` with piped stdio, in a session of its
    own like a terminal's: `os.killpg(pid, SIGINT)` is Ctrl-C to the whole group."""
    return await asyncio.create_subprocess_exec(
        *SERVER_COMMAND, *args, "--base-url", base_url, "--model", "test-model",
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
        start_new_session=True,
    )  # fmt: skip


@contextlib.contextmanager
def serving(
    process: subprocess.Popen[bytes], url: str, name: str, log: Path, timeout: float
) -> Iterator[None]:
    """The server `process`, once it answers GET `url` with a success (failing with the end of
    its log if it exits or does not answer within `timeout` seconds); stopped afterwards."""
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                pytest.fail(f"{name} exited:\n{log.read_text(errors='replace')[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=2).is_success:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- JSON-RPC as raw bytes --------------------------------------------------------------------


def frame(message: Any) -> bytes:
    """One LSP frame: `message` as JSON, or a body given as bytes (which may be anything)."""
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class RawPeer:
    """The client's end of a server connection, in bytes: send anything, read frames.

    (pytest-lsp's client cannot send a malformed frame, and hides what a server sends back.)
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        #: Every notification read so far, in order.
        self.notifications: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    @classmethod
    def of(cls, process: asyncio.subprocess.Process) -> RawPeer:
        assert process.stdout is not None and process.stdin is not None
        return cls(process.stdout, process.stdin)

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    def request(self, method: str, params: Any = None, request_id: Any = None) -> Any:
        """Send a request; returns its id."""
        request_id = next(self._ids) if request_id is None else request_id
        self.send(frame({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
        return request_id

    def notify(self, method: str, params: Any = None) -> None:
        self.send(frame({"jsonrpc": "2.0", "method": method, "params": params}))

    async def read_message(self) -> dict[str, Any] | None:
        """The next frame's message; None once the server closed its end."""
        try:
            header = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
        message: dict[str, Any] = json.loads(await self.reader.readexactly(length))
        return message

    async def response(self, request_id: Any = None, timeout: float = 10) -> dict[str, Any]:
        """The next response (to `request_id` if given), recording notifications on the way."""
        async with asyncio.timeout(timeout):
            while (message := await self.read_message()) is not None:
                if "method" not in message:
                    if request_id is None or message.get("id") == request_id:
                        return message
                elif "id" in message:  # a request from the server: answer it
                    self.send(frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
                else:
                    self.notifications.append(message)
        raise AssertionError("the server closed the connection without answering")

    async def initialize(self) -> dict[str, Any]:
        response = await self.response(
            self.request("initialize", {"processId": None, "capabilities": {}})
        )
        self.notify("initialized", {})
        return response

    async def drain(self, timeout: float = 10) -> None:
        """Read until the server closes its end (recording notifications)."""
        async with asyncio.timeout(timeout):
            while (message := await self.read_message()) is not None:
                if "method" in message and "id" not in message:
                    self.notifications.append(message)


# --- backends, driven directly -----------------------------------------------------------------

FAST = Timeouts(connect_s=2.0, first_token_s=5.0, idle_s=5.0)


def chat(text: str = "Say hello", model: str = "smollm2", **options: object) -> ChatRequest:
    return ChatRequest(
        model=model,
        messages=(Message("system", "You are terse."), Message("user", text)),
        options=dict(options),
    )


async def collect(backend: ModelBackend, request: ChatRequest | None = None) -> list[StreamEvent]:
    async with asyncio.timeout(10):
        return [event async for event in backend.stream_chat(request or chat())]


async def collect_until_error(
    backend: ModelBackend, request: ChatRequest | None = None
) -> tuple[list[StreamEvent], BackendError]:
    events: list[StreamEvent] = []
    async with asyncio.timeout(10):
        with pytest.raises(BackendError) as info:
            async for event in backend.stream_chat(request or chat()):
                events.append(event)
    return events, info.value


def make_backend(kind: str, base_url: str, timeouts: Timeouts = FAST, **kw: object) -> ModelBackend:
    return create_backend(kind, BackendConfig(base_url=base_url, timeouts=timeouts, **kw))  # type: ignore[arg-type]


def text_of(events: list[StreamEvent], kind: str = "content") -> str:
    return "".join(e.text for e in events if isinstance(e, Delta) and e.kind == kind)


# --- code generation's stages, scripted --------------------------------------------------------

PLAN = Script(chunks=["- check ", "the input\n", "- parse with ", "fromisoformat"])
CODE = Script(
    chunks=[
        "Here is the ", "code:\n\n```py", "thon\n", "def parse(s):\n", "    if not s:\n",
        "        raise ValueError('empty')\n", "    return date.fromisoformat(s)\n",
        "```\n\nIt raises on empty input.",
    ]
)  # fmt: skip
APPROVE = Script(chunks=["APP", "ROVE\n", "Looks right."])


def script_stages(fake: FakeModelServer, **scripts: Script) -> None:
    """Answer each stage's prompt with its script (`plan`, `code`, `review`, `revise`)."""
    tasks = {"plan": PLAN_TASK, "code": CODE_TASK, "review": REVIEW_TASK, "revise": REVISE_TASK}
    defaults = {"plan": PLAN, "code": CODE, "review": APPROVE, "revise": CODE}
    for stage, task in tasks.items():
        fake.script(scripts.get(stage, defaults[stage]), match=task)
