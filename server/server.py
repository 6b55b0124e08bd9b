"""The ollama-lsp language server: its commands and notification handlers, registered.

Each handler is a few lines that delegate: commands live in `commands/` (one module each),
inline completion in `completion.py`, the shared state in `language_server.py`, and our
takeover of pygls' built-in handlers (`initialize`, `workspace/executeCommand`, cancellation,
`shutdown`, document sync) in `lsp_overrides.py`.
"""

from __future__ import annotations

from typing import Any

from lsprotocol import types as lsp

from .commands import chat, generate_code, history, models
from .completion import InlineCompletions
from .language_server import CommandHandler, OllamaLanguageServer
from .protocol import Command

COMMANDS: dict[str, CommandHandler] = {
    Command.CHAT: chat.chat,
    Command.LIST_MODELS: models.list_models,
    Command.RESET_CONVERSATION: models.reset_conversation,
    Command.GENERATE_CODE: generate_code.generate_code,
    Command.LIST_CONVERSATIONS: history.list_conversations,
    Command.GET_CONVERSATION: history.get_conversation,
    Command.DELETE_CONVERSATION: history.delete_conversation,
}


def create_server(overrides: dict[str, Any] | None = None) -> OllamaLanguageServer:
    ls = OllamaLanguageServer(COMMANDS, overrides)

    @ls.feature(lsp.INITIALIZED)
    async def initialized(ls: OllamaLanguageServer, params: lsp.InitializedParams) -> None:
        await ls.on_initialized()

    @ls.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: OllamaLanguageServer, params: lsp.DidChangeConfigurationParams
    ) -> None:
        if isinstance(params.settings, dict) and "ollama" in params.settings:
            ls.apply_settings(params.settings["ollama"])
        else:
            await ls.pull_configuration()

    completions = InlineCompletions(ls)

    @ls.feature(lsp.TEXT_DOCUMENT_INLINE_COMPLETION, lsp.InlineCompletionOptions())
    async def inline_completion(
        ls: OllamaLanguageServer, params: lsp.InlineCompletionParams
    ) -> lsp.InlineCompletionList:
        return await completions.complete(params)

    return ls
