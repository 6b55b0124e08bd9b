"""`ollama.listModels` and `ollama.resetConversation`: what the model picker and New chat use."""

from __future__ import annotations

from ollama_lsp.agents.backends import BackendError

from ..language_server import OllamaLanguageServer
from ..protocol import (
    ListModelsResult,
    ModelEntry,
    RequestFailed,
    ResetConversationParams,
    parse_params,
)
from ..requests import CommandCall


async def list_models(ls: OllamaLanguageServer, call: CommandCall) -> ListModelsResult:
    try:
        models = await ls.backend.list_models()
    except BackendError as error:
        raise RequestFailed(error.kind, error.message) from None
    entries = [ModelEntry(m.name, m.size_bytes, m.modified_at) for m in models]
    backend = ls.backend
    return ListModelsResult(
        models=entries,
        default=ls.settings.model,
        backend=backend.display_name,
        fixed_model=backend.fixed_model,
    )


async def reset_conversation(ls: OllamaLanguageServer, call: CommandCall) -> None:
    params = parse_params(ResetConversationParams, call.arguments)
    ls.chat_agent.reset(params.conversation_id)
