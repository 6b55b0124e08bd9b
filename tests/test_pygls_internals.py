"""The private pygls names `server/pygls_internals.py` relies on still exist and work as used.

A pygls upgrade that moves one fails here with the name, not later as a cancel that does not
stop the model or a stream that goes silent.
"""

from __future__ import annotations

import inspect
from concurrent.futures import Future
from importlib.metadata import version
from typing import Any

import pytest
from cattrs import Converter
from pygls.client import JsonRPCClient
from pygls.lsp.server import LanguageServer
from pygls.protocol import JsonRPCProtocol

from ollama_lsp.server import pygls_internals


def moved(name: str) -> str:
    return f"pygls {version('pygls')} moved `{name}`: see server/pygls_internals.py"


def parameters(function: Any) -> list[str]:
    """Parameter names in order, keyword-only ones marked with a leading `*`."""
    return [
        f"*{p.name}" if p.kind is p.KEYWORD_ONLY else p.name
        for p in inspect.signature(function).parameters.values()
    ]


@pytest.mark.parametrize(
    ("owner", "name", "expected"),
    [
        (JsonRPCProtocol, "_send_data", ["self", "data"]),
        (JsonRPCProtocol, "_send_response", ["self", "msg_id", "result", "error"]),
        # Overridden by QuietProtocol: pygls must still call them by these names.
        (JsonRPCProtocol, "_handle_cancel_notification", ["self", "msg_id"]),
        (JsonRPCProtocol, "_send_handler_result", ["self", "future", "*msg_id"]),
    ],
)
def test_private_methods_keep_their_signatures(owner: type, name: str, expected: list[str]):
    method = getattr(owner, name, None)
    assert method is not None, moved(name)
    assert parameters(method) == expected, moved(name)


@pytest.mark.parametrize("name", ["_handle_cancel_notification", "_send_handler_result"])
def test_pygls_still_calls_the_methods_we_override(name: str):
    assert f"self.{name}" in inspect.getsource(JsonRPCProtocol), moved(name)
    ours, theirs = getattr(pygls_internals.QuietProtocol, name), getattr(JsonRPCProtocol, name)
    assert parameters(ours) == parameters(theirs), moved(name)


def test_the_protocol_keeps_its_request_table_and_converter():
    protocol = LanguageServer("test", "1").protocol
    assert isinstance(getattr(protocol, "_request_futures", None), dict), moved("_request_futures")
    protocol._request_futures["x"] = future = Future()
    assert pygls_internals.pending_requests(protocol) == [future]
    assert isinstance(pygls_internals.converter_of(protocol), Converter), moved("_converter")
    assert "self._converter.structure(" in inspect.getsource(JsonRPCProtocol.structure_message)


def test_the_client_keeps_its_server_process():
    client = JsonRPCClient()
    assert hasattr(client, "_server"), moved("_server")
    assert pygls_internals.server_process(client) is None
    assert "self._server = " in inspect.getsource(JsonRPCClient.start_io), moved("_server")


class Recorder:
    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def close(self) -> None:
        pass


def test_send_json_writes_one_notification():
    protocol = LanguageServer("test", "1").protocol
    protocol.set_writer(recorder := Recorder(), include_headers=False)
    pygls_internals.send_json(protocol, "ollama/token", {"seq": 0})
    assert recorder.written == [
        b'{"jsonrpc": "2.0", "method": "ollama/token", "params": {"seq": 0}}'
    ], moved("_send_data")


def test_send_error_answers_with_a_null_id():
    protocol = LanguageServer("test", "1").protocol
    protocol.set_writer(recorder := Recorder(), include_headers=False)
    pygls_internals.send_error(protocol, None, -32700, "Parse error.")
    assert recorder.written == [
        b'{"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "Parse error."}}'
    ], moved("_send_data")
