"""Reading a streamed HTTP body line by line (both HTTP backends)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from httpx._decoders import LineDecoder  # what `aiter_lines` splits with: the same lines

from .base import Timeouts, read_with_deadlines

#: Longest run of lines handed out without giving the event loop a turn.
_TURN_S = 0.002


async def read_lines(text: AsyncIterator[str], timeouts: Timeouts) -> AsyncIterator[str]:
    """The lines of a streamed body (split as httpx's `aiter_lines` does), with the deadlines
    of `read_with_deadlines` applied per socket read.

    A burst arrives hundreds of lines per read: a timer per line cost more than parsing the
    line, and with no await between the lines of one read, a cancel (or a batch's flush) waited
    for all of them. So the deadlines go per read, and every 2 ms of lines the loop gets a turn.
    """
    loop = asyncio.get_running_loop()
    decoder = LineDecoder()
    turn_ends = loop.time() + _TURN_S
    async for chunk in read_with_deadlines(text, timeouts):
        for line in decoder.decode(chunk):
            yield line
            if loop.time() >= turn_ends:
                await asyncio.sleep(0)
                turn_ends = loop.time() + _TURN_S
    for line in decoder.flush():
        yield line
