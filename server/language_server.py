"""`OllamaLanguageServer`: the state every handler shares — settings, documents, the model
backend, the requests in flight — and the helpers command handlers call."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Collection, Coroutine, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from ollama_lsp.agents.backends import ModelBackend, create_backend
from ollama_lsp.agents.chat import ChatAgent
from ollama_lsp.agents.history import History

from . import __version__
from .config import Settings, parse_settings
from .documents import Documents
from .files import uri_to_path
from .lsp_overrides import OllamaProtocol
from .protocol import InvalidParams, Payload, StorageStatus
from .pygls_internals import send_json
from .requests import CommandCall, RunningRequests
from .streaming import TokenStream

logger = logging.getLogger(__name__)

#: A command's handler: its server and request in, its result (a protocol class) out.
CommandHandler = Callable[
    ["OllamaLanguageServer", CommandCall], Coroutine[Any, Any, Payload | None]
]


class OllamaLanguageServer(LanguageServer):
    protocol: OllamaProtocol

    def __init__(
        self, commands: Mapping[str, CommandHandler], overrides: dict[str, Any] | None = None
    ) -> None:
        super().__init__("ollama-lsp", __version__, protocol_cls=OllamaProtocol)
        self._commands = commands
        #: Settings from the command line; they win over the client's.
        self._overrides = overrides or {}
        self._init_options: Any = None
        self._workspace_settings: Any = None
        #: Problems found before the client could be told (shown once it is `initialized`).
        self.settings, self._startup_problems = self._compute_settings()
        self.documents = Documents()
        self.chat_agent = ChatAgent()
        self.running = RunningRequests(
            functools.partial(send_json, self.protocol),
            self._create_progress,
            self._client_has_progress,
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
        self._open_history()

    def _compute_settings(self) -> tuple[Settings, list[str]]:
        problems: list[str] = []
        settings = Settings()
        for raw in (self._init_options, self._workspace_settings, self._overrides):
            settings, found = parse_settings(raw, settings)
            problems += found
        return settings, problems

    async def on_initialized(self) -> None:
        """Report the settings problems of start-up, then read the client's settings."""
        self.report_settings_problems(self._startup_problems)
        await self.pull_configuration()

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
        self._open_history()

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

    # --- conversation history -------------------------------------------------------------

    def _open_history(self) -> None:
        """Open the history file the settings name, unless it is the one open; the old one
        closes once its queued writes are done."""
        path = self.settings.storage.file()
        old = self.chat_agent.history
        if (old.path if old else None) == path:
            return
        self.chat_agent.history = None if path is None else History(path, self._tell_storage)
        if old is not None:
            task = asyncio.ensure_future(old.close())
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)

    def _tell_storage(self, message: str) -> None:
        self.window_show_message(
            lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=f"ollama-lsp: {message}")
        )

    @property
    def workspace_folder_uris(self) -> list[str]:
        return [folder.as_uri() for folder in self.documents.folders]

    @property
    def storage_status(self) -> StorageStatus:
        history = self.chat_agent.history
        if history is None:
            return StorageStatus(enabled=False, path=None, problem=None)
        return StorageStatus(enabled=True, path=str(history.path), problem=history.problem)

    async def close_history(self) -> None:
        """Write what is queued and close the file (at shutdown and exit)."""
        history, self.chat_agent.history = self.chat_agent.history, None
        if history is not None:
            await history.close()

    # --- commands ------------------------------------------------------------------------

    @property
    def command_names(self) -> Collection[str]:
        return self._commands.keys()

    async def execute_command(self, name: str, call: CommandCall) -> Any:
        """Run a command in the request's own task (so `$/cancelRequest` cancels it); returns
        its result as JSON."""
        handler = self._commands.get(name)
        if handler is None:
            raise InvalidParams(f"Unknown command {name!r}.", field="command")
        result = await self.running.run(call, handler(self, call))
        return None if result is None else result.to_wire()

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

    def stream(
        self, call: CommandCall, *, title: str, label: str
    ) -> AbstractAsyncContextManager[TokenStream]:
        return self.running.stream(
            call,
            title=title,
            label=label,
            flush_interval_s=self.settings.streaming.flush_interval_ms / 1000,
        )

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
