"""stdio is the protocol channel: keep stdout for frames only, and never block the loop on it.

pygls writes to stdout synchronously on the event loop, so a client that reads slowly would
stall every stream and delay cancellation. `ThreadedWriter` hands frames to a writer thread
instead; order is kept because one thread writes them all, from one queue.

pygls reads stdin in a thread pool, three hand-offs per frame; while the loop is busy (a burst
of tokens) each one waits for the GIL, and a cancel took 60-500 ms to arrive. `read_stdin`
reads it on the event loop itself; `jsonrpc.run_session` splits it into messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import BinaryIO

from .jsonrpc import (
    MAX_HEADER_LINE,
    ByteReader,
    HeaderLineTooLong,
    StreamByteReader,
    run_session,
)
from .language_server import OllamaLanguageServer
from .logs import log_to_editor

logger = logging.getLogger(__name__)


def claim_stdout() -> BinaryIO:
    """Return a private handle on the real stdout; point fd 1 and `sys.stdout` at stderr.

    A stray `print` or a child process inheriting fd 1 then lands in the log, not in a frame.
    """
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "wb")


class ThreadedWriter:
    """pygls' writer interface backed by a thread that does the blocking writes.

    `on_closed` is called (from the writer thread) when the client's end is gone.
    """

    def __init__(self, stream: BinaryIO, on_closed: Callable[[], None]) -> None:
        self._stream = stream
        self._on_closed = on_closed
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="lsp-stdout", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        self._queue.put(data)

    def close(self) -> None:
        """Write what is queued, then close the stream."""
        self._queue.put(None)
        self._thread.join(timeout=5)
        with contextlib.suppress(OSError):  # the client's end may be gone
            self._stream.close()

    def _run(self) -> None:
        while True:
            frames = [self._queue.get()]
            # Coalesce what piled up meanwhile into one write: fewer syscalls under bursts.
            while not self._queue.empty() and frames[-1] is not None:
                frames.append(self._queue.get_nowait())
            done = frames[-1] is None
            try:
                self._stream.write(b"".join(f for f in frames if f is not None))
                self._stream.flush()
            except (ValueError, OSError) as error:
                logger.debug("The client's end of stdout is gone (%s).", error)
                self._on_closed()
                return
            if done:
                return


class FileReader:
    """A `ByteReader` on a file the loop cannot watch (stdin redirected from a regular file)."""

    def __init__(self, stream: BinaryIO, executor: Executor) -> None:
        self._stream = stream
        self._executor = executor

    async def readline(self) -> bytes:
        loop = asyncio.get_running_loop()
        line = await loop.run_in_executor(self._executor, self._stream.readline, MAX_HEADER_LINE)
        if len(line) == MAX_HEADER_LINE and not line.endswith(b"\n"):
            raise HeaderLineTooLong()
        return line

    async def readexactly(self, n: int) -> bytes:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._stream.read, n)


async def read_stdin(executor: Executor) -> ByteReader:
    """stdin read by the running event loop; by a thread if stdin is a regular file."""
    loop = asyncio.get_running_loop()
    stream = asyncio.StreamReader(limit=MAX_HEADER_LINE)
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream), sys.stdin)
    except ValueError:  # a regular file: the loop cannot watch it
        return FileReader(sys.stdin.buffer, executor)
    return StreamByteReader(stream)


def serve_stdio(ls: OllamaLanguageServer) -> int:
    """One session with the editor on stdin/stdout; returns the process's exit status."""
    protocol_out = claim_stdout()

    async def serve() -> int:
        loop = asyncio.get_running_loop()
        output_closed: asyncio.Future[None] = loop.create_future()

        def on_closed() -> None:
            loop.call_soon_threadsafe(settle, output_closed)

        writer = ThreadedWriter(protocol_out, on_closed)
        ls.protocol.set_writer(writer)
        try:
            with log_to_editor(ls):
                return await run_session(await read_stdin(ls.thread_pool), ls, output_closed)
        finally:
            writer.close()

    try:
        return asyncio.run(serve())
    except KeyboardInterrupt:
        return 0
    finally:
        ls.shutdown()  # type: ignore[no-untyped-call]


def settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
