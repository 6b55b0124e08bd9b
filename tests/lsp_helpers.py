"""A pytest-lsp client that records the wire in order: notifications and responses alike.

Every assertion about streaming order ("all tokens and the progress end before the response")
reads `Wire.events`, which holds messages in the order the client's reader handled them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import attrs
import pytest_asyncio
from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES

from fake_model_server import FakeModelServer
from ollama_lsp.server.protocol import TOKEN_NOTIFICATION, Command
from tests.support import SERVER_COMMAND


def plain(value: Any) -> Any:
    """pygls turns unknown JSON objects into namedtuples; tests want dicts."""
    if hasattr(value, "_asdict"):
        return {key: plain(item) for key, item in value._asdict().items()}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


@attrs.define
class Wire:
    #: ("token", params) | ("progress", token, value) | ("response", request_id, outcome)
    #: | ("applyEdit", params)
    events: list[tuple[Any, ...]] = attrs.Factory(list)
    changed: asyncio.Event = attrs.Factory(asyncio.Event)

    def record(self, *event: Any) -> None:
        self.events.append(event)
        self.changed.set()

    def batches(self, token: int | str) -> list[dict[str, Any]]:
        return [e[1] for e in self.events if e[0] == "token" and e[1]["token"] == token]

    def progress(self, token: int | str) -> list[dict[str, Any]]:
        return [e[2] for e in self.events if e[0] == "progress" and e[1] == token]

    def text(self, token: int | str, stage: str = "chat", kind: str = "content") -> str:
        batches = self.batches(token)
        assert [b["seq"] for b in batches] == list(range(len(batches))), "seq has gaps"
        return "".join(b["text"] for b in batches if b["stage"] == stage and b["kind"] == kind)

    def applied_edits(self) -> list[dict[str, Any]]:
        """Params of every `workspace/applyEdit` the server sent."""
        return [e[1] for e in self.events if e[0] == "applyEdit"]

    def index_of_response(self, request_id: int | str) -> int:
        return next(
            i for i, e in enumerate(self.events) if e[0] == "response" and e[1] == request_id
        )

    def assert_nothing_after_response(self, request_id: int | str, token: int | str) -> None:
        """Every batch and progress message of the request arrived before its response."""
        answered = self.index_of_response(request_id)
        for i, event in enumerate(self.events):
            mine = (event[0] == "token" and event[1]["token"] == token) or (
                event[0] == "progress" and event[1] == token
            )
            if mine:
                assert i < answered, f"{event} arrived after the response"

    async def wait_for(self, condition: Callable[[], Any], timeout: float = 5.0) -> Any:
        async with asyncio.timeout(timeout):
            while not (value := condition()):
                self.changed.clear()
                await self.changed.wait()
            return value


class OllamaClient(LanguageClient):
    """The test client: records the wire and runs our commands by request id."""

    def __init__(self) -> None:
        super().__init__(converter_factory=default_converter)
        self.wire = Wire()
        #: What the server answered to `initialize`.
        self.server_capabilities: lsp.ServerCapabilities | None = None
        #: `end()` was called: the server has stopped.
        self.ended = False
        self._ids = itertools.count(1000)
        for method, handler in DEFAULT_CLIENT_FEATURES.items():
            if method != lsp.PROGRESS:
                self.feature(method)(handler)
        wire = self.wire
        self.feature(TOKEN_NOTIFICATION)(lambda params: wire.record("token", plain(params)))
        self.feature(lsp.PROGRESS)(
            lambda params: wire.record("progress", params.token, plain(params.value))
        )
        #: The answer to `workspace/applyEdit`; while `apply_edit_gate` is set and not open,
        #: the client holds its answer back.
        self.apply_edit_answer = lsp.ApplyWorkspaceEditResult(applied=True)
        self.apply_edit_gate: asyncio.Event | None = None
        client = self
        converter = default_converter()  # the protocol's own is private

        async def apply_edit(params: lsp.ApplyWorkspaceEditParams) -> Any:
            wire.record("applyEdit", converter.unstructure(params))
            if client.apply_edit_gate is not None:
                await client.apply_edit_gate.wait()
            return client.apply_edit_answer

        self.feature(lsp.WORKSPACE_APPLY_EDIT)(apply_edit)

    def send_command(
        self,
        command: Command | str,
        argument: Any = None,
        *,
        token: int | str | None = None,
        arguments: list[Any] | None = None,
    ) -> tuple[int, Awaitable[Any]]:
        """Send `workspace/executeCommand`; returns its request id and its outcome."""
        request_id = next(self._ids)
        future = self.protocol.send_request(
            lsp.WORKSPACE_EXECUTE_COMMAND,
            lsp.ExecuteCommandParams(
                command=str(command),
                arguments=arguments if arguments is not None else [argument],
                work_done_token=token,
            ),
            msg_id=request_id,
        )
        future.add_done_callback(lambda f: self.wire.record("response", request_id, _outcome(f)))
        return request_id, _plain_result(asyncio.wrap_future(future))

    async def command(self, command: Command | str, argument: Any = None, **kwargs: Any) -> Any:
        _, outcome = self.send_command(command, argument, **kwargs)
        return await outcome

    def send_completion(
        self, line: int, character: int, uri: str | None = None, *, invoked: bool = False
    ) -> tuple[int, Awaitable[Any]]:
        """Send `textDocument/inlineCompletion` (typing, or `invoked` explicitly); returns its
        request id and its result (an `InlineCompletionList`)."""
        request_id = next(self._ids)
        kind = lsp.InlineCompletionTriggerKind
        future = self.protocol.send_request(
            lsp.TEXT_DOCUMENT_INLINE_COMPLETION,
            lsp.InlineCompletionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri or DOCUMENT_URI),
                position=lsp.Position(line, character),
                context=lsp.InlineCompletionContext(
                    trigger_kind=kind.Invoked if invoked else kind.Automatic
                ),
            ),
            msg_id=request_id,
        )
        return request_id, asyncio.wrap_future(future)

    async def end(self) -> None:
        """`shutdown`, `exit`, and wait for the server process to end (a restart's first half)."""
        if self.ended:
            return
        self.ended = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.shutdown_session(), timeout=10)
        await self.stop()

    def cancel(self, request_id: int) -> None:
        self.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id=request_id))

    def cancel_progress(self, token: int | str) -> None:
        self.protocol.notify(
            lsp.WINDOW_WORK_DONE_PROGRESS_CANCEL, lsp.WorkDoneProgressCancelParams(token=token)
        )


async def _plain_result(future: Awaitable[Any]) -> Any:
    return plain(await future)


def _outcome(future: Any) -> Any:
    if future.cancelled():
        return "cancelled"
    error = future.exception()
    return error if error is not None else plain(future.result())


async def wait_until(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll for state the default pytest-lsp handlers keep (messages, logs)."""
    async with asyncio.timeout(timeout):
        while not (value := condition()):
            await asyncio.sleep(0.01)
        return value


StartClient = Callable[..., Awaitable[OllamaClient]]


@pytest_asyncio.fixture
async def start_client(fake: FakeModelServer) -> AsyncIterator[StartClient]:
    """Start servers under test: `await start_client(settings, capabilities=..., args=...)`."""
    clients: list[OllamaClient] = []

    async def start(
        settings: dict[str, Any] | None = None,
        *,
        capabilities: lsp.ClientCapabilities | None = None,
        args: list[str] | None = None,
        workspace: str | None = None,
    ) -> OllamaClient:
        config = ClientServerConfig(
            server_command=[*SERVER_COMMAND, "--log-level", "WARNING", *(args or [])],
            client_factory=OllamaClient,
        )
        client = await config.start()
        assert isinstance(client, OllamaClient)
        clients.append(client)
        options = {
            "baseUrl": fake.base_url,
            "model": "test-model",
            "streaming": {"flushIntervalMs": 0},
            **(settings or {}),
        }
        initialized = await client.initialize_session(
            lsp.InitializeParams(
                capabilities=capabilities or lsp.ClientCapabilities(),
                initialization_options=options,
                workspace_folders=(
                    [lsp.WorkspaceFolder(uri=workspace, name="ws")] if workspace else None
                ),
            )
        )
        client.server_capabilities = initialized.capabilities
        return client

    yield start
    for client in clients:
        await client.end()


# --- documents, ranges and edits ---------------------------------------------------------------

#: The document a test opens unless it names another.
DOCUMENT_URI = "file:///project/dates.py"


def open_document(
    client: OllamaClient,
    text: str,
    uri: str = DOCUMENT_URI,
    language: str = "python",
    version: int = 1,
) -> None:
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri, language_id=language, version=version, text=text
            )
        )
    )


def change_document(
    client: OllamaClient,
    start: tuple[int, int],
    end: tuple[int, int],
    text: str,
    version: int,
    uri: str = DOCUMENT_URI,
) -> None:
    """The user types: `text` replaces start..end (line, UTF-16 character)."""
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(lsp.Position(*start), lsp.Position(*end)), text=text
                )
            ],
        )
    )


def lsp_range(start: tuple[int, int], end: tuple[int, int] | None = None) -> dict[str, Any]:
    end = end or start
    return {
        "start": {"line": start[0], "character": start[1]},
        "end": {"line": end[0], "character": end[1]},
    }


def utf16_offset(text: str, position: dict[str, int]) -> int:
    """String index of an LSP position (UTF-16 characters), computed independently here."""
    starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", text))]
    index = starts[position["line"]]
    units = 0
    while units < position["character"]:
        units += 2 if ord(text[index]) > 0xFFFF else 1
        index += 1
    return index


def apply(text: str, edit: dict[str, Any]) -> str:
    (change,) = edit["documentChanges"]
    (text_edit,) = change["edits"]
    start = utf16_offset(text, text_edit["range"]["start"])
    end = utf16_offset(text, text_edit["range"]["end"])
    return text[:start] + text_edit["newText"] + text[end:]


def code_text(client: OllamaClient, token: str, revision: int) -> str:
    batches = client.wire.batches(token)
    return "".join(
        b["text"]
        for b in batches
        if b["stage"] == "code" and b["kind"] == "content" and b["revision"] == revision
    )


def stage_reports(client: OllamaClient, token: str) -> list[tuple[str, int, str]]:
    return [
        (p["stage"], p["revision"], p["message"])
        for p in client.wire.progress(token)
        if p["kind"] == "report" and "text" not in p
    ]
