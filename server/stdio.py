"""stdio is the protocol channel: keep stdout for frames only, and never block the loop on it.

Both ends are served by the event loop itself. pygls reads stdin in a thread pool, three
hand-offs per frame, each waiting for the GIL while the loop is busy (a burst of tokens): a
cancel took 60-500 ms to arrive. A writer thread for stdout had the same cost per frame. On the
loop, a frame is read or written the moment the pipe is ready; what a slow reader leaves unread
waits in the transport's buffer, so it stalls nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
from typing import Any, BinaryIO

from pygls.io_ import StdinAsyncReader, StdoutWriter

logger = logging.getLogger(__name__)


def claim_stdout() -> BinaryIO:
    """Return a private handle on the real stdout; point fd 1 and `sys.stdout` at stderr.

    A stray `print` or a child process inheriting fd 1 then lands in the log, not in a frame.
    """
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "wb")


class PipeWriter:
    """pygls' writer interface on an asyncio pipe transport.

    A frame is written at once by the loop's own thread: handing it to a writer thread made it
    wait for that thread to win the GIL from a busy loop (up to 5 ms). What a slow reader
    leaves unread waits in the transport's buffer, so it stalls nothing.
    """

    def __init__(self, transport: asyncio.WriteTransport, closed: asyncio.Future[None]) -> None:
        self._transport = transport
        self._closed = closed
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()

    def write(self, data: bytes) -> None:
        if threading.get_ident() == self._loop_thread:
            self._transport.write(data)
        elif not self._loop.is_closed():  # e.g. a log record from a worker thread
            self._loop.call_soon_threadsafe(self._transport.write, data)

    async def close(self) -> None:
        """Write what is buffered (for at most 5 s: the client may have stopped reading)."""
        self._transport.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._closed), 5)


class _PipeClosed(asyncio.BaseProtocol):
    def __init__(self) -> None:
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            logger.error("The client's end of stdout is gone (%s); dropping output.", exc)
        if not self.closed.done():
            self.closed.set_result(None)


async def write_stdout(stream: BinaryIO) -> PipeWriter | StdoutWriter:
    """Frames written by the running event loop; plain writes if stdout is a regular file."""
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await loop.connect_write_pipe(_PipeClosed, stream)
    except ValueError:  # a regular file: writing to it does not block for long
        return StdoutWriter(stream)
    return PipeWriter(transport, protocol.closed)


class PipeReader:
    """pygls' async reader interface on an asyncio stream (end of input reads as b"")."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self._stream = stream

    async def readline(self) -> bytes:
        return await self._stream.readline()

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self._stream.readexactly(n)
        except asyncio.IncompleteReadError:
            return b""


async def read_stdin(executor: Any) -> PipeReader | StdinAsyncReader:
    """stdin read by the running event loop; pygls' threaded reader if stdin is not a pipe."""
    loop = asyncio.get_running_loop()
    stream = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), sys.stdin)
    except ValueError:  # a regular file: the loop cannot watch it
        return StdinAsyncReader(sys.stdin.buffer, executor)
    return PipeReader(stream)
