"""Reading a streamed HTTP body line by line (both HTTP backends)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator

from .base import Timeouts, read_with_deadlines

#: Longest run of lines handed out without giving the event loop a turn.
_TURN_S = 0.002


class LineSplitter:
    """Splits text that arrives in pieces into lines ended by `\\n`, `\\r\\n` or `\\r`.

    Those three only, as NDJSON and Server-Sent Events define lines: httpx's `aiter_lines`
    also splits on `\\x85`, `\\u2028` and the like (`str.splitlines`), which JSON allows raw
    inside a string, so a token holding one was cut into two malformed lines and lost.
    """

    def __init__(self) -> None:
        #: The start of a line whose end has not arrived yet.
        self._partial = ""
        #: The last piece ended with `\r`: it ends a line, with the next piece's `\n` if any.
        self._pending_cr = False

    def split(self, text: str) -> list[str]:
        """The lines `text` completes, without their line ends."""
        if self._pending_cr:
            text = "\r" + text
        self._pending_cr = text.endswith("\r")
        if self._pending_cr:
            text = text[:-1]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        lines[0] = self._partial + lines[0]
        self._partial = lines.pop()
        return lines

    def flush(self) -> list[str]:
        """The last line, when the text ended without a line end after it."""
        if not self._partial and not self._pending_cr:
            return []
        line, self._partial, self._pending_cr = self._partial, "", False
        return [line]


async def read_lines(text: AsyncIterator[str], timeouts: Timeouts) -> AsyncGenerator[str, None]:
    """The lines of a streamed body (split by `LineSplitter`), with the deadlines of
    `read_with_deadlines` applied per socket read.

    A burst arrives hundreds of lines per read: a timer per line cost more than parsing the
    line, and with no await between the lines of one read, a cancel (or a batch's flush) waited
    for all of them. So the deadlines go per read, and every 2 ms of lines the loop gets a turn.
    """
    loop = asyncio.get_running_loop()
    splitter = LineSplitter()
    turn_ends = loop.time() + _TURN_S
    async for chunk in read_with_deadlines(text, timeouts):
        for line in splitter.split(chunk):
            yield line
            if loop.time() >= turn_ends:
                await asyncio.sleep(0)
                turn_ends = loop.time() + _TURN_S
    for line in splitter.flush():
        yield line
