"""A strict JSON-RPC peer: LSP frames read with limits, every request answered exactly once.

pygls' reading loop (`pygls.io_.run_async`) answers nothing it cannot parse (a showMessage and a
traceback instead), drops requests after `shutdown` silently, goes deaf after a wrong
`Content-Length` (it skips lines until one matches, and a body without a line break never
does), and crashes on a header line over asyncio's 64 KiB. `run_session` replaces it for stdio
and for each `--tcp` client:

- a body that is not UTF-8 or not JSON: -32700 (id null); not a request object (a batch,
  `null`, no `jsonrpc: "2.0"`, a bad `id` or `method`): -32600 with its id when it has a usable
  one; params lsprotocol cannot structure: -32602.
- after `shutdown`, requests get -32600 (the LSP spec: InvalidRequest), notifications other
  than `exit` are ignored; `exit` ends the session with status 0 after `shutdown`, else 1.
- a body over `MAX_BODY_BYTES` is skipped unread and answered -32600 (id null).
- a stream that cannot be split into messages any more (a header line that is not
  `Name: value`, a header block without a numeric `Content-Length`, a header line over
  `MAX_HEADER_LINE` bytes) ends the session with one error line and status 1, so the editor
  restarts the server.
- the client going away (end of input, its end of our output closed) is one info line; whatever
  ends a session, running requests are cancelled and the model connections closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Protocol

from cattrs import ClassValidationError, transform_error
from lsprotocol import types as lsp
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage

from .language_server import OllamaLanguageServer
from .pygls_internals import converter_of, pending_requests, send_error

logger = logging.getLogger(__name__)

#: Longest header line accepted, in bytes (line break included). LSP headers are
#: `Content-Length` and `Content-Type`, under 100 bytes; a longer line is not a header, and
#: reading it whole would let one line take the server's memory.
MAX_HEADER_LINE = 8192

#: Biggest message body read, in bytes: far above any document an editor sends, low enough that
#: one message cannot take the machine's memory. A bigger body is skipped as it streams by.
MAX_BODY_BYTES = 128 * 2**20
_SKIP_CHUNK = 2**20

PARSE_ERROR, INVALID_REQUEST, INVALID_PARAMS = -32700, -32600, -32602


class BrokenFraming(Exception):
    """The stream cannot be split into messages any more."""


class HeaderLineTooLong(BrokenFraming):
    def __init__(self) -> None:
        super().__init__(f"a header line is longer than {MAX_HEADER_LINE} bytes")


class MessageTooLarge(Exception):
    """A message's body was over `MAX_BODY_BYTES`; it was skipped, the stream is intact."""

    def __init__(self, size: int) -> None:
        super().__init__(
            f"A message of {size / 2**20:.0f} MiB is too large (the limit is "
            f"{MAX_BODY_BYTES // 2**20} MiB); it was skipped."
        )


class ByteReader(Protocol):
    """Where frames come from; both methods return what they have (maybe b"") at the end."""

    async def readline(self) -> bytes: ...
    async def readexactly(self, n: int) -> bytes: ...


class StreamByteReader:
    """An asyncio stream (stdin's pipe, a TCP client) as a `ByteReader`.

    Its `limit` must be `MAX_HEADER_LINE`: a longer line raises `HeaderLineTooLong`.
    """

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self._stream = stream

    async def readline(self) -> bytes:
        try:
            return await self._stream.readuntil(b"\n")
        except asyncio.IncompleteReadError as end:
            return end.partial
        except asyncio.LimitOverrunError:
            raise HeaderLineTooLong() from None
        except ConnectionError:
            return b""

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self._stream.readexactly(n)
        except asyncio.IncompleteReadError as end:
            return end.partial
        except ConnectionError:
            return b""


async def read_body(reader: ByteReader) -> bytes | None:
    """The next message's body; None when the stream ends (between or inside messages)."""
    content_length: int | None = None
    while True:
        line = await reader.readline()
        if not line.endswith(b"\n"):
            return None
        line = line.rstrip(b"\r\n")
        if not line:
            break
        name, colon, value = line.partition(b":")
        if not colon or not name or not name.strip() == name or b" " in name:
            raise BrokenFraming(f"expected a header line, got {line[:40]!r}")
        if name.lower() == b"content-length":
            if not value.strip().isdigit():
                raise BrokenFraming(f"Content-Length {value.strip()[:40]!r} is not a number")
            content_length = int(value)
    if content_length is None:
        raise BrokenFraming("a message has no Content-Length header")
    if content_length > MAX_BODY_BYTES:
        await _skip(reader, content_length)
        return None
    body = await reader.readexactly(content_length)
    return body if len(body) == content_length else None


async def _skip(reader: ByteReader, size: int) -> None:
    """Read past a body too large to hold; raises `MessageTooLarge` once it is passed (returns
    if the stream ends first)."""
    left = size
    while left:
        chunk = await reader.readexactly(min(left, _SKIP_CHUNK))
        if not chunk:
            return
        left -= len(chunk)
    raise MessageTooLarge(size)


class Peer:
    """Checks each message, answers the invalid ones, and hands the rest to pygls."""

    def __init__(self, ls: OllamaLanguageServer) -> None:
        self._protocol = ls.protocol
        self._converter = converter_of(ls.protocol)
        self.shutdown_requested = False

    def receive(self, body: bytes) -> int | None:
        """Handle one message; returns the session's exit status when it was `exit`."""
        data = self._decode(body)
        if data is None:
            return None
        method = data.get("method")
        is_request = "id" in data and method is not None
        if self.shutdown_requested and method is not None and method != lsp.EXIT:
            if is_request:
                self._answer_error(data["id"], INVALID_REQUEST, "The server is shut down.")
            return None
        if method == lsp.EXIT:
            return 0 if self.shutdown_requested else 1
        if method == lsp.SHUTDOWN and is_request:
            self.shutdown_requested = True
        try:
            message = self._structure(data)
        except Exception as error:
            problem = f"Invalid params for {method}: {describe(error)}"
            if is_request:
                self._answer_error(data["id"], INVALID_PARAMS, problem)
            else:
                logger.warning("Ignored a message. %s", problem)
            return None
        self._protocol.handle_message(message)
        return None

    def reject_too_large(self, error: MessageTooLarge) -> None:
        """Its id is unknown (it was not read): JSON-RPC's answer is an error with id null."""
        self._answer_error(None, INVALID_REQUEST, str(error))

    def _decode(self, body: bytes) -> dict[str, Any] | None:
        """The message as JSON, or None once its error was answered."""
        try:
            data = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            self._reject(None, PARSE_ERROR, "Parse error: the message is not UTF-8.")
            return None
        except ValueError as error:
            self._reject(None, PARSE_ERROR, f"Parse error: {error}.")
            return None
        problem = invalid_request(data)
        if problem is not None:
            self._reject(data if isinstance(data, dict) else None, INVALID_REQUEST, problem)
            return None
        assert isinstance(data, dict)
        return data

    def _reject(self, data: dict[str, Any] | None, code: int, problem: str) -> None:
        """Answer an invalid message: with its id when usable, else null; a response is only
        logged (it must not be answered)."""
        if data is not None and "method" not in data and "id" in data:
            logger.warning("Ignored a response from the client: %s", problem)
            return
        request_id = data.get("id") if data is not None else None
        self._answer_error(request_id if usable_id(request_id) else None, code, problem)

    def _answer_error(self, request_id: int | str | None, code: int, problem: str) -> None:
        logger.warning("Answered %s with error %d: %s", request_id, code, problem)
        send_error(self._protocol, request_id, code, problem)

    def _structure(self, data: dict[str, Any]) -> Any:
        """The message as pygls' handlers take it (lsprotocol classes for LSP methods)."""
        method = data.get("method")
        if method is None:  # a response: pygls knows the type of what it asked for
            return self._protocol.structure_message(data)
        fallback = JsonRPCRequestMessage if "id" in data else JsonRPCNotification
        message_type = self._protocol.get_message_type(method) or fallback
        return self._converter.structure(data, message_type)


def invalid_request(data: Any) -> str | None:
    """What makes `data` not a JSON-RPC 2.0 message object, if anything."""
    if isinstance(data, list):
        return "Batch messages are not supported."
    if not isinstance(data, dict):
        return "A message must be a JSON object."
    if "id" in data and not usable_id(data["id"]):
        return "`id` must be a string or an integer."
    if data.get("jsonrpc") != "2.0":
        return '`jsonrpc` must be "2.0".'
    if "method" in data and not isinstance(data["method"], str):
        return "`method` must be a string."
    return None


def usable_id(request_id: Any) -> bool:
    return isinstance(request_id, int | str) and not isinstance(request_id, bool)


def describe(error: Exception) -> str:
    """A structuring error as a line a person can read (`$.params.x: expected a list`)."""
    if isinstance(error, ClassValidationError):
        return "; ".join(transform_error(error)[:3])
    return str(error) or type(error).__name__


async def run_session(
    reader: ByteReader, ls: OllamaLanguageServer, output_closed: asyncio.Future[None]
) -> int:
    """Serve one client until it exits or goes away; returns the session's exit status.

    `output_closed` completes when the client's end of our output is gone.
    """
    reading = asyncio.ensure_future(_read_messages(reader, Peer(ls)))
    try:
        either: list[asyncio.Future[Any]] = [reading, output_closed]
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        if reading.done():
            return reading.result()
        logger.info("The client closed its end of the connection; ending the session.")
        return 0
    finally:
        reading.cancel()
        await end_requests(ls)


async def _read_messages(reader: ByteReader, peer: Peer) -> int:
    while True:
        try:
            body = await read_body(reader)
        except BrokenFraming as error:
            logger.error(
                "The client's message stream is broken (%s); ending the session so that the "
                "editor restarts the server.",
                error,
            )
            return 1
        except MessageTooLarge as error:
            peer.reject_too_large(error)
            continue
        if body is None:
            logger.info("The client closed the connection (end of input); ending the session.")
            return 0
        status = peer.receive(body)
        if status is not None:
            return status


async def end_requests(ls: OllamaLanguageServer) -> None:
    """Cancel what is still running (commands answer -32800 and close their model streams),
    drop requests to the client that will not be answered, close the model connections, write
    the conversations' last turns."""
    await ls.running.cancel_all()
    pending = pending_requests(ls.protocol)
    for future in pending:
        future.cancel()
    await asyncio.gather(
        *(f for f in pending if isinstance(f, asyncio.Future)), return_exceptions=True
    )
    await ls.close_backends()
    await ls.close_history()
