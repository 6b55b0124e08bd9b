"""Reading a streamed HTTP body line by line (both HTTP backends), under deadlines that only
a whole token moves, and with a bound on how long a line may grow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator

from .base import BackendError, Timeouts

#: Longest run of lines handed out without giving the event loop a turn.
_TURN_S = 0.002

#: The longest line (or Server-Sent Event) read, in characters. A streamed token's line is
#: a few hundred bytes; the largest real ones are a whole non-streamed answer or a final line
#: with statistics (`/api/chat`'s has no `context` array; `/api/generate`'s, which we do not
#: use, holds about 7 characters per token of context: 1 MB at 128k tokens). 4 MiB is far
#: above all of them, and bounds what one stream can hold in memory (16 streams: 64 MiB).
MAX_LINE_CHARS = 4 * 1024 * 1024


class LineTooLong(ValueError):
    """More than `MAX_LINE_CHARS` arrived without a line end (or an event's end)."""

    def __init__(self, start: str) -> None:
        super().__init__(f"more than {MAX_LINE_CHARS // 2**20} MiB without a line break")
        #: How the line begins, to show what came back.
        self.start = start


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
        """The lines `text` completes, without their line ends; `LineTooLong` once the line
        that has not ended holds more than `MAX_LINE_CHARS`."""
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
        if len(self._partial) > MAX_LINE_CHARS:
            raise LineTooLong(self._partial[:200])
        return lines

    def flush(self) -> list[str]:
        """The last line, when the text ended without a line end after it."""
        if not self._partial and not self._pending_cr:
            return []
        line, self._partial, self._pending_cr = self._partial, "", False
        return [line]


class ProgressDeadline:
    """When the model server must have sent its next token: `first_token_s` after the request
    went out, then `idle_s` after each token. Only a whole token counts (a line or event with
    text): bytes that complete nothing, keep-alives and empty chunks do not, so a server that
    dribbles bytes cannot hold a chat forever.

    `token()` only raises a flag (a burst is 20,000 tokens); the next read moves the deadline,
    so the time the reader spends on the lines of one read is not charged to the server.
    """

    def __init__(self, timeouts: Timeouts, server: str) -> None:
        self._timeouts = timeouts
        #: Who stayed silent, in the messages ("Ollama", "The model server").
        self._server = server
        self._loop = asyncio.get_running_loop()
        #: Loop time the next token is due by; None until the request is sent.
        self.due: float | None = None
        self._first = True
        self._token_arrived = False

    def start(self) -> None:
        """The request goes out (it had a connection): the first token is due."""
        self.due = self._loop.time() + self._timeouts.first_token_s

    def token(self) -> None:
        """A token arrived."""
        self._token_arrived = True

    def next_due(self) -> float | None:
        """The deadline of the next read."""
        if self._token_arrived:
            self._token_arrived, self._first = False, False
            self.due = self._loop.time() + self._timeouts.idle_s
        return self.due

    def expired(self) -> BackendError:
        if self._first:
            return BackendError(
                "timeout",
                f"{self._server} sent no token for {self._timeouts.first_token_s:g} s after "
                "the request. Raise `ollama.timeouts.firstTokenS` if the model is just slow to "
                "load.",
            )
        return BackendError(
            "timeout",
            f"{self._server} sent no new token for {self._timeouts.idle_s:g} s. Raise "
            "`ollama.timeouts.idleS` if the model is just slow.",
        )


async def read_lines(
    text: AsyncIterator[str], deadline: ProgressDeadline
) -> AsyncGenerator[str, None]:
    """The lines of a streamed body (split by `LineSplitter`), each read of the body under
    `deadline`.

    A burst arrives hundreds of lines per read: a timer per line cost more than parsing the
    line, and with no await between the lines of one read, a cancel (or a batch's flush) waited
    for all of them. So the deadline goes per read, and every 2 ms of lines the loop gets a turn.
    """
    loop = asyncio.get_running_loop()
    splitter = LineSplitter()
    turn_ends = loop.time() + _TURN_S
    pieces = aiter(text)
    while True:
        try:
            async with asyncio.timeout_at(deadline.next_due()):
                chunk = await anext(pieces)
        except StopAsyncIteration:
            break
        except TimeoutError:
            raise deadline.expired() from None
        for line in splitter.split(chunk):
            yield line
            if loop.time() >= turn_ends:
                await asyncio.sleep(0)
                turn_ends = loop.time() + _TURN_S
    for line in splitter.flush():
        yield line
