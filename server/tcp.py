"""`ollama-lsp --tcp PORT`: the server on a loopback port, for debugging (attach a client, or
`nc`, to a server you can watch in a terminal) and for editors that attach to a port.

One client at a time: a second connection while one is active gets a `window/showMessage`
error saying so and is closed; the active session never sees it. Each client gets a fresh
server (no documents, conversations or settings carried over). When a client disconnects or
sends `exit`, its running requests are cancelled, its model connections closed, and the
server waits for the next client; Ctrl-C stops it. (pygls' `start_tcp` hands every connection
the same session, and ends the server when any of them closes.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable

from lsprotocol import types as lsp

from .jsonrpc import MAX_HEADER_LINE, StreamByteReader, run_session
from .language_server import OllamaLanguageServer
from .logs import log_to_editor

logger = logging.getLogger(__name__)

REFUSAL = "ollama-lsp: another client is connected to this server; it serves one at a time."


def serve_tcp(host: str, port: int, new_server: Callable[[], OllamaLanguageServer]) -> int:
    """Serve clients one after the other until interrupted; returns the exit status."""
    try:
        asyncio.run(_listen(host, port, new_server))
    except KeyboardInterrupt:
        pass
    except OSError as error:
        logger.error("Cannot listen on %s:%d: %s", host, port, error)
        return 1
    return 0


async def _listen(host: str, port: int, new_server: Callable[[], OllamaLanguageServer]) -> None:
    busy = False

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal busy
        if busy:
            await _refuse(reader, writer)
            return
        busy = True
        try:
            await _session(reader, writer, new_server())
        finally:
            busy = False

    server = await asyncio.start_server(connected, host, port, limit=MAX_HEADER_LINE)
    logger.info("Listening on %s:%d, one client at a time.", host, port)
    async with server:
        await server.serve_forever()


async def _session(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ls: OllamaLanguageServer
) -> None:
    client = writer.get_extra_info("peername")
    logger.info("Client %s connected.", client)
    ls.protocol.set_writer(SocketWriter(writer))
    # A client that closes its socket shows as the end of input: nothing else signals it.
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    try:
        with log_to_editor(ls):
            await run_session(StreamByteReader(reader), ls, never)
    finally:
        writer.close()
        ls.shutdown()  # type: ignore[no-untyped-call]
    logger.info("Session of client %s ended; waiting for the next client.", client)


async def _refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Tell a second client why it is turned away, then close its connection."""
    logger.info(
        "Refused client %s: another client is connected.", writer.get_extra_info("peername")
    )
    params = {"type": lsp.MessageType.Error.value, "message": REFUSAL}
    body = json.dumps({"jsonrpc": "2.0", "method": lsp.WINDOW_SHOW_MESSAGE, "params": params})
    writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body.encode()))
    # Read what it sent before closing: closing with unread input resets the connection,
    # and a reset can discard the message on its way.
    with contextlib.suppress(OSError, TimeoutError):
        writer.write_eof()
        async with asyncio.timeout(1):
            while await reader.read(65536):
                pass
    writer.close()


class SocketWriter:
    """pygls' writer interface on a client's socket; what comes after it closed is dropped
    (asyncio would warn on each write)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    def write(self, data: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(data)

    def close(self) -> None:
        self._writer.close()
