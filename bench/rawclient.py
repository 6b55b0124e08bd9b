"""A minimal LSP client over the server's stdio, for measuring: raw JSON-RPC frames, each
stamped with `time.perf_counter()` the moment it is parsed (pygls' client adds tens of µs per
message, which would be charged to the server)."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any, NamedTuple

SERVER_COMMAND = [sys.executable, "-m", "ollama_lsp.server", "--log-level", "WARNING"]

#: The servers' conversation history (stored as in real use) goes here, never into the user's;
#: removed when the bench ends.
_DATA_HOME = tempfile.TemporaryDirectory(prefix="ollama-lsp-bench-")

Notification = Callable[[str, Any, float], None]


class Response(NamedTuple):
    """A response frame and the perf_counter() when it was parsed."""

    message: dict[str, Any]
    at: float

    @property
    def result(self) -> Any:
        return self.message.get("result")

    @property
    def error_code(self) -> int | None:
        return (self.message.get("error") or {}).get("code")


class RawLspClient:
    def __init__(self, on_notification: Notification | None = None) -> None:
        self.on_notification = on_notification or (lambda method, params, at: None)
        self.process: asyncio.subprocess.Process | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Response]] = {}
        self._reader: asyncio.Task[None] | None = None
        #: Cleared by `pause_reading`: the reader stops taking frames off the server's stdout.
        self._reading = asyncio.Event()
        self._reading.set()
        #: perf_counter() just before the server was spawned.
        self.spawned_at = 0.0

    async def start(self, init_options: dict[str, Any], *, args: list[str] | None = None) -> float:
        """Spawn the server and initialize it; returns seconds from spawn to the result."""
        self.spawned_at = time.perf_counter()
        self.process = await asyncio.create_subprocess_exec(
            *SERVER_COMMAND,
            *(args or []),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "XDG_DATA_HOME": _DATA_HOME.name},
        )
        self._reader = asyncio.create_task(self._read())
        initialized = await self.request(
            "initialize",
            {"processId": None, "capabilities": {}, "initializationOptions": init_options},
        )
        self.notify("initialized", {})
        return initialized.at - self.spawned_at

    @property
    def pid(self) -> int:
        assert self.process
        return self.process.pid

    @property
    def unanswered(self) -> int:
        """Requests sent that have no response yet."""
        return len(self._pending)

    async def stop(self) -> None:
        if self.process is None:
            return
        self.resume_reading()
        try:
            await asyncio.wait_for(self.request("shutdown", None), 10)
            self.notify("exit", None)
            await asyncio.wait_for(self.process.wait(), 10)
        except (TimeoutError, ConnectionError):
            self.process.kill()
        if self._reader:
            self._reader.cancel()

    def pause_reading(self) -> None:
        """Stop reading the server's stdout: once the pipe is full its writes block."""
        self._reading.clear()

    def resume_reading(self) -> None:
        self._reading.set()

    def send(self, message: dict[str, Any]) -> float:
        """Write one frame; returns the perf_counter() just before the write."""
        assert self.process and self.process.stdin
        body = json.dumps(message).encode()
        at = time.perf_counter()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        return at

    def notify(self, method: str, params: Any) -> float:
        return self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def start_request(self, method: str, params: Any) -> tuple[int, asyncio.Future[Response]]:
        request_id = next(self._ids)
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self.send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
        return request_id, future

    async def request(self, method: str, params: Any) -> Response:
        _, future = self.start_request(method, params)
        return await future

    def command(self, command: str, argument: Any, token: str | None = None):
        params: dict[str, Any] = {"command": command, "arguments": [argument]}
        if token is not None:
            params["workDoneToken"] = token
        return self.start_request("workspace/executeCommand", params)

    async def _read(self) -> None:
        assert self.process and self.process.stdout
        stdout = self.process.stdout
        while True:
            await self._reading.wait()
            header = await stdout.readuntil(b"\r\n\r\n")
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            message = json.loads(await stdout.readexactly(length))
            at = time.perf_counter()
            if "id" in message and "method" in message:  # a request from the server
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "id" in message:
                future = self._pending.pop(message["id"], None)
                if future and not future.done():
                    future.set_result(Response(message, at))
            else:
                self.on_notification(message["method"], message.get("params"), at)
