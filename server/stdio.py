"""stdio is the protocol channel: keep stdout for frames only, and never block the loop on it.

pygls writes to stdout synchronously on the event loop, so a client that reads slowly would
stall every stream and delay cancellation. `ThreadedWriter` hands frames to a writer thread
instead; order is kept because one thread writes them all, from one queue.

pygls reads stdin in a thread pool, three hand-offs per frame; while the loop is busy (a burst
of tokens) each one waits for the GIL, and a cancel took 60-500 ms to arrive. `read_stdin`
reads it on the event loop itself.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import sys
import threading
from typing import Any, BinaryIO

from pygls.io_ import StdinAsyncReader

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
    """pygls' writer interface backed by a thread that does the blocking writes."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="lsp-stdout", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> None:
        self._queue.put(data)

    def close(self) -> None:
        """Write what is queued, then close the stream."""
        self._queue.put(None)
        self._thread.join(timeout=5)
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
            except (BrokenPipeError, ValueError, OSError) as error:
                logger.error("The client's end of stdout is gone (%s); dropping output.", error)
                return
            if done:
                return


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
