"""Our replacements for pygls' built-in handlers of standard LSP messages.

pygls 2.1 runs `@server.command` handlers as a task it cannot cancel, hides the request's
`workDoneToken` from them, and fails on `shutdown` with commands in flight. So this protocol
class takes over `workspace/executeCommand`, `window/workDoneProgress/cancel` and `shutdown`:
the request's own task runs the command, and `$/cancelRequest` cancels exactly it. It also
keeps the documents in our own store (`documents.py`), whose positions follow the spec.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Generator
from typing import Any, Protocol, cast

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.protocol import lsp_method

from .documents import Documents
from .positions import PositionError
from .pygls_internals import QuietProtocol
from .requests import CommandCall, RunningRequests

logger = logging.getLogger(__name__)


class Host(Protocol):
    """What these handlers need of the server (a protocol: the server imports this module)."""

    @property
    def command_names(self) -> Collection[str]: ...
    @property
    def running(self) -> RunningRequests: ...
    @property
    def documents(self) -> Documents: ...
    @property
    def position_encoding(self) -> str: ...
    def on_initialize(self, params: lsp.InitializeParams) -> None: ...
    async def execute_command(self, name: str, call: CommandCall) -> Any: ...
    async def close_backends(self) -> None: ...
    async def close_history(self) -> None: ...


class OllamaProtocol(QuietProtocol):
    def __init__(self, server: LanguageServer, converter: Any) -> None:
        super().__init__(server, converter)
        #: The server, as these handlers use it.
        self.host = cast(Host, server)

    @lsp_method(lsp.INITIALIZE)
    def lsp_initialize(
        self, params: lsp.InitializeParams
    ) -> Generator[Any, Any, lsp.InitializeResult]:
        self.host.on_initialize(params)
        result = yield from super().lsp_initialize(params)
        result.capabilities.execute_command_provider = lsp.ExecuteCommandOptions(
            commands=list(self.host.command_names), work_done_progress=True
        )
        result.capabilities.text_document_sync = lsp.TextDocumentSyncOptions(
            open_close=True, change=lsp.TextDocumentSyncKind.Incremental
        )
        return result

    @lsp_method(lsp.WORKSPACE_EXECUTE_COMMAND)
    async def lsp_workspace__execute_command(self, params: lsp.ExecuteCommandParams) -> Any:  # type: ignore[override]
        request_id = self.msg_id if self.msg_id is not None else ""
        arguments = list(params.arguments) if params.arguments is not None else None
        call = CommandCall(request_id, arguments, params.work_done_token)
        return await self.host.execute_command(params.command, call)

    @lsp_method(lsp.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def lsp_work_done_progress_cancel(self, params: lsp.WorkDoneProgressCancelParams) -> None:
        self.host.running.cancel_by_token(params.token)

    @lsp_method(lsp.SHUTDOWN)
    async def lsp_shutdown(self, *args: Any) -> None:  # type: ignore[override]
        await self.host.running.cancel_all()
        await self.host.close_backends()
        await self.host.close_history()

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams) -> None:
        self.host.documents.open(params.text_document)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> None:
        try:
            self.host.documents.change(params, self.host.position_encoding)
        except PositionError as error:
            logger.error("Dropped an edit of %s: %s", params.text_document.uri, error)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams) -> None:
        self.host.documents.close(params.text_document.uri)
