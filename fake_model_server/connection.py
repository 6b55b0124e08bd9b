"""HTTP/1.1 on one TCP connection, written by hand on top of asyncio streams so that the server
controls chunking, drops and stalls exactly, and notices a client leaving at once: a reader
task watches the connection for EOF all the time, also while the server sleeps between chunks
or stalls."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from http import HTTPStatus

import attrs

_MAX_HEAD_BYTES = 64 * 1024
#: Pause between two partial writes when a body is written a few bytes at a time.
_PARTIAL_WRITE_PAUSE_S = 0.001


class ClientGone(Exception):
    """The client closed the connection."""


@attrs.frozen
class HttpRequest:
    method: str
    target: str
    #: Names lower-cased.
    headers: dict[str, str]
    body: bytes

    @property
    def route(self) -> tuple[str, str]:
        """Method and path, without the query and a trailing slash."""
        path = self.target.split("?", 1)[0]
        return self.method, path.rstrip("/") or "/"

    @property
    def keep_alive(self) -> bool:
        """HTTP/1.1: the connection stays open unless the client asks to close it."""
        return "close" not in self.headers.get("connection", "").lower()


class Connection:
    """One TCP connection: a reader task buffers input and notices EOF at once."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn_id: int
    ) -> None:
        self.id = conn_id
        self._reader = reader
        self._writer = writer
        self._buffer = bytearray()
        self._data = asyncio.Event()
        self.eof = asyncio.Event()
        #: Called if the client leaves while an answer streams (set for the answer's duration).
        self.on_gone: Callable[[], None] | None = None
        #: This side aborted the connection: the client did not leave.
        self.aborted = False
        self._pump_task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        try:
            while True:
                data = await self._reader.read(65536)
                if not data:
                    break
                self._buffer += data
                self._data.set()
        except (ConnectionError, OSError):
            pass
        finally:
            self.eof.set()
            self._data.set()
            if self.on_gone is not None and not self.aborted:
                self.on_gone()

    @property
    def gone(self) -> bool:
        return self.eof.is_set() or self._writer.transport.is_closing()

    # --- reading ---------------------------------------------------------------------------

    async def _wait_data(self) -> bool:
        if self.eof.is_set():
            return False
        self._data.clear()
        await self._data.wait()
        return True

    async def _read_until(self, separator: bytes, limit: int) -> bytes | None:
        while True:
            index = self._buffer.find(separator)
            if index >= 0:
                end = index + len(separator)
                data = bytes(self._buffer[:end])
                del self._buffer[:end]
                return data
            if len(self._buffer) > limit:
                raise ValueError("request head too large")
            if not await self._wait_data():
                return None

    async def _read_exactly(self, n: int) -> bytes | None:
        while len(self._buffer) < n:
            if not await self._wait_data():
                return None
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    async def read_request(self) -> HttpRequest | None:
        """The next request (its body sized by Content-Length), or None once the client left.

        Raises ValueError or UnicodeError on a malformed head."""
        head = await self._read_until(b"\r\n\r\n", _MAX_HEAD_BYTES)
        if head is None:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await self._read_exactly(int(headers.get("content-length", "0") or 0))
        if body is None:
            return None
        return HttpRequest(method.upper(), target, headers, body)

    # --- writing ---------------------------------------------------------------------------

    async def _write(self, data: bytes) -> None:
        if self.gone:
            raise ClientGone
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, OSError, RuntimeError) as exc:
            raise ClientGone from exc

    async def send_head(self, status: int, headers: dict[str, str], keep_alive: bool) -> None:
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        headers = {"Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()), **headers}
        if not keep_alive:
            headers["Connection"] = "close"
        lines += [f"{name}: {value}" for name, value in headers.items()]
        await self._write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    async def send(self, status: int, body: bytes, content_type: str, keep_alive: bool) -> bool:
        """A whole response; returns whether the connection may carry another request."""
        headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        await self.send_head(status, headers, keep_alive)
        await self._write(body)
        return keep_alive

    async def write_chunk(self, data: bytes, write_size: int | None = None) -> None:
        """Write `data` as chunked-encoding chunk(s), split into `write_size` bytes if set (a
        short pause between) so that UTF-8 characters and lines are split across TCP reads."""
        if not data:
            return
        size = write_size or len(data)
        for start in range(0, len(data), size):
            if start:
                await self.pause(_PARTIAL_WRITE_PAUSE_S)
            piece = data[start : start + size]
            await self._write(b"%x\r\n%b\r\n" % (len(piece), piece))

    async def end_chunks(self) -> None:
        await self._write(b"0\r\n\r\n")

    # --- waiting and ending ----------------------------------------------------------------

    async def pause(self, seconds: float) -> None:
        """Sleep, but raise `ClientGone` as soon as the client leaves."""
        if self.gone:
            raise ClientGone
        if seconds <= 0:
            return
        try:
            async with asyncio.timeout(seconds):
                await self.eof.wait()
        except TimeoutError:
            return
        raise ClientGone

    async def wait_gone(self) -> None:
        await self.eof.wait()
        raise ClientGone

    async def abort(self) -> None:
        """Kill the connection after what was written, without a terminating chunk."""
        self.aborted = True
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            await self._writer.drain()
        self._writer.transport.abort()

    async def close(self) -> None:
        self._pump_task.cancel()
        with contextlib.suppress(BaseException):
            await self._pump_task
        with contextlib.suppress(Exception):
            self._writer.close()

    def kill(self) -> None:
        self.aborted = True
        self._writer.transport.abort()
