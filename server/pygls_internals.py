"""Every use of a private pygls name, in one place, each with the reason it is needed.

pygls 2.1 offers no public way to do these. `tests/test_pygls_internals.py` checks that each
name still exists with the signature used here, so an upgrade that moves one fails there, by
name, instead of breaking cancellation or streaming silently. Verified with pygls 2.1.1.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from cattrs import Converter
from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCProtocol, LanguageServerProtocol

if TYPE_CHECKING:  # the server never imports pygls' client
    from pygls.client import JsonRPCClient


class QuietProtocol(LanguageServerProtocol):
    """pygls' protocol without its noise for what is normal here: late cancels, our errors."""

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """A cancel for an unknown or finished request is normal: ignore it quietly.

        (pygls logs a warning for each, and a client cancels finished requests often.)
        """
        future = self._request_futures.pop(msg_id, None)
        if future is not None:
            future.cancel()

    def _send_handler_result(self, future: Future[Any], *, msg_id: Any) -> None:
        """Answer our own protocol errors without pygls' traceback and error report.

        (pygls logs every JSON-RPC error a handler raises as an exception, and shows it.)
        """
        error = None if future.cancelled() else future.exception()
        if isinstance(error, JsonRpcException):
            self._request_futures.pop(msg_id, None)
            self._send_response(msg_id, error=error.to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)


def send_json(protocol: JsonRPCProtocol, method: str, params: dict[str, Any]) -> None:
    """Send a notification built from plain JSON values.

    (`protocol.notify` needs lsprotocol types for LSP methods and runs cattrs on every message:
    too slow for one notification per streamed token.)
    """
    protocol._send_data({"jsonrpc": "2.0", "method": method, "params": params})


def send_error(
    protocol: JsonRPCProtocol, request_id: int | str | None, code: int, message: str
) -> None:
    """Answer a request with a JSON-RPC error; `request_id` None is JSON null.

    (`protocol._send_response` takes lsprotocol types; our strict reader answers messages that
    never became a request object, e.g. unparsable ones, with id null.)
    """
    error = {"code": code, "message": message}
    protocol._send_data({"jsonrpc": "2.0", "id": request_id, "error": error})


def converter_of(protocol: JsonRPCProtocol) -> Converter:
    """The cattrs converter pygls structures messages with.

    (Our strict reader structures messages itself, to answer -32602 instead of the traceback
    `structure_message` logs.)
    """
    return protocol._converter


def pending_requests(protocol: JsonRPCProtocol) -> list[Future[Any] | asyncio.Future[Any]]:
    """Handlers still running and requests to the client still waiting for an answer.

    (pygls keeps its request table private; a session that ends must not leave them behind.)
    """
    return list(protocol._request_futures.values())


def server_process(client: JsonRPCClient) -> asyncio.subprocess.Process | None:
    """The server child process a client started with `start_io`.

    (pygls keeps it private; the terminal client drains its stderr.)
    """
    return client._server
