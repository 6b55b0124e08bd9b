"""The ollama-lsp language server: its declaration and its (thin) handlers.

pygls 2.1 runs `@server.command` handlers as a task it cannot cancel, hides the request's
`workDoneToken` from them, and fails on `shutdown` with commands in flight. So the protocol
class below takes over `workspace/executeCommand`, `window/workDoneProgress/cancel` and
`shutdown`: the request's own task runs the command, and `$/cancelRequest` cancels exactly it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method

from ollama_lsp.agents.backends import BackendError, ModelBackend, create_backend
from ollama_lsp.agents.chat import ChatAgent, ChatTurn, Snippet
from ollama_lsp.agents.codegen import CodegenJob, fit_code, surrounding_code

from . import __version__
from .codegen import apply_edit, document_edit, run_workflow
from .config import Settings, parse_settings
from .documents import Document, Documents, PositionError, uri_to_path
from .protocol import (
    MAX_REVISIONS,
    ChatParams,
    ChatResult,
    Command,
    ContextRef,
    GenerateCodeParams,
    GenerateCodeResult,
    InvalidParams,
    ListModelsResult,
    ModelEntry,
    Payload,
    RequestFailed,
    ResetConversationParams,
    Timings,
    Usage,
    parse_params,
)
from .requests import CommandCall, RunningRequests

logger = logging.getLogger(__name__)


CommandHandler = Callable[["OllamaLanguageServer", CommandCall], Awaitable[Payload | None]]
COMMANDS: dict[str, CommandHandler] = {}


def command(name: Command) -> Callable[[CommandHandler], CommandHandler]:
    def register(handler: CommandHandler) -> CommandHandler:
        COMMANDS[name] = handler
        return handler

    return register


class OllamaProtocol(LanguageServerProtocol):
    _server: OllamaLanguageServer

    def send_raw_notification(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification built from plain JSON values (no lsprotocol types needed)."""
        self._send_data({"jsonrpc": "2.0", "method": method, "params": params})

    @lsp_method(lsp.INITIALIZE)
    def lsp_initialize(self, params: lsp.InitializeParams):  # type: ignore[override]
        self._server.on_initialize(params)
        result = yield from super().lsp_initialize(params)
        result.capabilities.execute_command_provider = lsp.ExecuteCommandOptions(
            commands=list(COMMANDS), work_done_progress=True
        )
        result.capabilities.text_document_sync = lsp.TextDocumentSyncOptions(
            open_close=True, change=lsp.TextDocumentSyncKind.Incremental
        )
        return result

    @lsp_method(lsp.WORKSPACE_EXECUTE_COMMAND)
    async def lsp_workspace__execute_command(self, params: lsp.ExecuteCommandParams) -> Any:  # type: ignore[override]
        handler = COMMANDS.get(params.command)
        if handler is None:
            raise InvalidParams(f"Unknown command {params.command!r}.", field="command")
        request_id = self.msg_id if self.msg_id is not None else ""
        arguments = list(params.arguments) if params.arguments is not None else None
        call = CommandCall(request_id, arguments, params.work_done_token)
        result = await self._server.running.run(handler(self._server, call))
        return None if result is None else result.to_wire()

    @lsp_method(lsp.WINDOW_WORK_DONE_PROGRESS_CANCEL)
    def lsp_work_done_progress_cancel(self, params: lsp.WorkDoneProgressCancelParams) -> None:
        self._server.running.cancel_by_token(params.token)

    @lsp_method(lsp.SHUTDOWN)
    async def lsp_shutdown(self, *args: Any) -> None:  # type: ignore[override]
        await self._server.running.cancel_all()
        await self._server.close_backends()
        self._shutdown = True

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams) -> None:
        self._server.documents.open(params.text_document)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> None:
        try:
            self._server.documents.change(params, self._server.position_encoding)
        except PositionError as error:
            logger.error("Dropped an edit of %s: %s", params.text_document.uri, error)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams) -> None:
        self._server.documents.close(params.text_document.uri)

    def _handle_cancel_notification(self, msg_id: Any) -> None:
        """A cancel for an unknown or finished request is normal: ignore it quietly."""
        future = self._request_futures.pop(msg_id, None)
        if future is not None:
            future.cancel()

    def _send_handler_result(self, future: Any, *, msg_id: Any) -> None:
        """Answer our own protocol errors without pygls' traceback and error report."""
        if not future.cancelled() and isinstance(future.exception(), JsonRpcException):
            self._request_futures.pop(msg_id, None)
            self._send_response(msg_id, error=future.exception().to_response_error())
            return
        super()._send_handler_result(future, msg_id=msg_id)


class OllamaLanguageServer(LanguageServer):
    protocol: OllamaProtocol

    def __init__(self, overrides: dict[str, Any] | None = None) -> None:
        super().__init__("ollama-lsp", __version__, protocol_cls=OllamaProtocol)
        #: Settings from the command line; they win over the client's.
        self._overrides = overrides or {}
        self._init_options: Any = None
        self._workspace_settings: Any = None
        self.settings, problems = self._compute_settings()
        self._startup_problems = problems
        self.documents = Documents()
        self.chat_agent = ChatAgent()
        self.running = RunningRequests(
            self.protocol.send_raw_notification, self._create_progress, self._client_has_progress
        )
        self._backend: ModelBackend | None = None
        self._retiring: set[asyncio.Task[None]] = set()

    # --- settings ------------------------------------------------------------------------

    def on_initialize(self, params: lsp.InitializeParams) -> None:
        self._init_options = params.initialization_options
        self.settings, self._startup_problems = self._compute_settings()
        folders: list[str | None] = [f.uri for f in params.workspace_folders or []]
        folders = folders or [params.root_uri]
        self.documents.folders = [p.resolve() for u in folders if u and (p := uri_to_path(u))]

    def _compute_settings(self) -> tuple[Settings, list[str]]:
        problems: list[str] = []
        settings = Settings()
        for raw in (self._init_options, self._workspace_settings, self._overrides):
            settings, found = parse_settings(raw, settings)
            problems += found
        return settings, problems

    async def pull_configuration(self) -> None:
        """Ask the client for section `ollama` (when it can answer) and apply it."""
        workspace = self.client_capabilities.workspace
        if workspace is None or not workspace.configuration:
            return
        try:
            (section,) = await self.workspace_configuration_async(
                lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section="ollama")])
            )
        except Exception as error:
            logger.warning("workspace/configuration failed: %s", error)
            return
        self.apply_settings(section)

    def apply_settings(self, workspace_settings: Any) -> None:
        self._workspace_settings = workspace_settings
        new, problems = self._compute_settings()
        self.report_settings_problems(problems)
        if (new.backend, new.backend_config()) != (
            self.settings.backend,
            self.settings.backend_config(),
        ):
            self._retire_backend()
        self.settings = new

    def report_settings_problems(self, problems: list[str]) -> None:
        if not problems:
            return
        message = "ollama-lsp settings: " + " ".join(problems)
        logger.warning("%s", message)
        self.window_show_message(
            lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=message)
        )

    # --- the model backend ---------------------------------------------------------------

    @property
    def backend(self) -> ModelBackend:
        if self._backend is None:
            self._backend = create_backend(self.settings.backend, self.settings.backend_config())
        return self._backend

    def _retire_backend(self) -> None:
        """Close the old backend's connection pool once the requests using it are done."""
        old, self._backend = self._backend, None
        if old is not None:

            async def close_when_idle() -> None:
                await self.running.wait_idle()
                await old.aclose()

            task = asyncio.ensure_future(close_when_idle())
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)

    async def close_backends(self) -> None:
        await asyncio.gather(*self._retiring, return_exceptions=True)
        if self._backend is not None:
            await self._backend.aclose()
            self._backend = None

    # --- helpers for command handlers -------------------------------------------------------

    @property
    def position_encoding(self) -> str:
        return str(self.protocol.workspace.position_encoding or lsp.PositionEncodingKind.Utf16)

    def _client_has_progress(self) -> bool:
        window = self.client_capabilities.window
        return bool(window and window.work_done_progress)

    async def _create_progress(self, token: str) -> bool:
        try:
            await self.work_done_progress.create_async(token)
        except JsonRpcException as error:
            logger.warning("The client refused progress token %s: %s", token, error)
            return False
        self.work_done_progress.tokens.pop(token, None)  # pygls never releases them
        return True

    def stream(self, call: CommandCall, *, title: str, label: str):
        return self.running.stream(
            call,
            title=title,
            label=label,
            flush_interval_s=self.settings.streaming.flush_interval_ms / 1000,
        )

    def context_snippets(self, refs: list[ContextRef]) -> tuple[Snippet, ...]:
        snippets = []
        for i, ref in enumerate(refs):
            try:
                document = self.documents.get(ref.uri)
            except LookupError as error:
                raise InvalidParams(f"`context[{i}].uri`: {error}.", f"context[{i}].uri") from None
            try:
                snippets.append(self._snippet(document, ref.range))
            except PositionError as error:
                raise InvalidParams(
                    f"`context[{i}].range`: {error}.", f"context[{i}].range"
                ) from None
        return tuple(snippets)

    def _snippet(self, document: Document, range: lsp.Range | None) -> Snippet:
        if range is None:
            return Snippet(document.name, document.language_id, document.text)
        text = document.text_in(range, self.position_encoding)
        lines = (range.start.line + 1, range.end.line + 1)
        return Snippet(document.name, document.language_id, text, lines)

    def check_prompt(self, prompt: str, field: str = "prompt") -> None:
        if not prompt.strip():
            raise InvalidParams(f"`{field}` must not be empty.", field)
        limit = self.settings.limits.max_prompt_chars
        if len(prompt) > limit:
            raise InvalidParams(
                f"`{field}` has {len(prompt)} characters; the limit is {limit} "
                "(setting `ollama.limits.maxPromptChars`).",
                field,
            )


# --- Notifications ---------------------------------------------------------------------------


def register_notifications(ls: OllamaLanguageServer) -> None:
    @ls.feature(lsp.INITIALIZED)
    async def initialized(ls: OllamaLanguageServer, params: lsp.InitializedParams) -> None:
        ls.report_settings_problems(ls._startup_problems)
        await ls.pull_configuration()

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: OllamaLanguageServer, params: lsp.DidChangeConfigurationParams
    ) -> None:
        if isinstance(params.settings, dict) and "ollama" in params.settings:
            ls.apply_settings(params.settings["ollama"])
        else:
            await ls.pull_configuration()


# --- Commands --------------------------------------------------------------------------------


@command(Command.CHAT)
async def chat(ls: OllamaLanguageServer, call: CommandCall) -> ChatResult:
    started = time.perf_counter()
    params = parse_params(ChatParams, call.arguments)
    ls.check_prompt(params.prompt)
    settings = ls.settings
    turn = ChatTurn(
        conversation_id=params.conversation_id or _new_id(),
        prompt=params.prompt,
        model=params.model or settings.model,
        system_prompt=settings.chat.system_prompt,
        max_history_messages=settings.chat.max_history_messages,
        snippets=ls.context_snippets(params.context),
        max_context_chars=settings.chat.max_context_chars,
        options=params.options,
    )
    async with ls.stream(call, title="Ollama chat", label="Generating") as stream:
        answer = await ls.chat_agent.answer(
            ls.backend, turn, lambda delta: stream.push("chat", delta.kind, delta.text)
        )
    first = answer.first_delta_at
    return ChatResult(
        conversation_id=turn.conversation_id,
        text=answer.text,
        thinking=answer.thinking,
        model=answer.finish.model or turn.model,
        done_reason=answer.finish.done_reason,
        usage=Usage(answer.finish.prompt_tokens, answer.finish.completion_tokens),
        timings=Timings(
            first_token_ms=None if first is None else (first - started) * 1000,
            total_ms=(time.perf_counter() - started) * 1000,
        ),
    )


@command(Command.LIST_MODELS)
async def list_models(ls: OllamaLanguageServer, call: CommandCall) -> ListModelsResult:
    try:
        models = await ls.backend.list_models()
    except BackendError as error:
        raise RequestFailed(error.kind, error.message) from None
    entries = [ModelEntry(m.name, m.size_bytes, m.modified_at) for m in models]
    return ListModelsResult(models=entries, default=ls.settings.model)


@command(Command.RESET_CONVERSATION)
async def reset_conversation(ls: OllamaLanguageServer, call: CommandCall) -> None:
    params = parse_params(ResetConversationParams, call.arguments)
    ls.chat_agent.reset(params.conversation_id)


@command(Command.GENERATE_CODE)
async def generate_code(ls: OllamaLanguageServer, call: CommandCall) -> GenerateCodeResult:
    params = parse_params(GenerateCodeParams, call.arguments)
    ls.check_prompt(params.instruction, "instruction")
    if not 0 <= params.max_revisions <= MAX_REVISIONS:
        raise InvalidParams(f"`maxRevisions` must be 0 to {MAX_REVISIONS}.", "maxRevisions")
    try:
        document = ls.documents.get(params.uri)
    except LookupError as error:
        raise InvalidParams(f"`uri`: {error}.", "uri") from None
    try:
        start, end = document.span(params.range, ls.position_encoding)
    except PositionError as error:
        raise InvalidParams(f"`range`: {error}.", "range") from None
    # The document as the request found it: the edit is for this version only.
    version, text = document.version, document.text
    before, after = surrounding_code(text, start, end, ls.settings.codegen.context_chars)
    job = CodegenJob(
        instruction=params.instruction,
        language=document.language_id,
        file_name=document.name,
        selection=text[start:end],
        before=before,
        after=after,
        model=params.model or ls.settings.model,
        review=params.review,
        max_revisions=params.max_revisions,
        options=params.options,
    )
    async with ls.stream(call, title="Ollama: generate code", label="Planning…") as stream:
        outcome = await run_workflow(stream, ls.backend, job)
        new_text = fit_code(outcome.code, text, start, end)
        edit = document_edit(params.uri, version, params.range, new_text)
        applied, failure_reason = False, None
        if params.apply:
            applied, failure_reason = await apply_edit(ls, edit, params.uri, version, text)
    return GenerateCodeResult(
        code=outcome.code,
        plan=outcome.plan,
        review=outcome.review,
        revisions=outcome.revisions,
        edit=edit,
        applied=applied,
        failure_reason=failure_reason,
    )


def _new_id() -> str:
    return str(uuid.uuid4())


def create_server(overrides: dict[str, Any] | None = None) -> OllamaLanguageServer:
    ls = OllamaLanguageServer(overrides)
    register_notifications(ls)
    return ls
