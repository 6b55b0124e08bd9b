"""`ollama.listConversations`, `ollama.getConversation`, `ollama.deleteConversation`: the
conversation history stored on disk (`agents/history.py`)."""

from __future__ import annotations

from ollama_lsp.agents.history import ConversationSummary as StoredSummary
from ollama_lsp.agents.history import History, iso_time

from ..language_server import OllamaLanguageServer
from ..protocol import (
    MAX_PAGE,
    ConversationParams,
    ConversationSummary,
    ConversationTurn,
    DeleteConversationResult,
    GetConversationResult,
    InvalidParams,
    ListConversationsParams,
    ListConversationsResult,
    RequestFailed,
    parse_params,
)
from ..requests import CommandCall


async def list_conversations(
    ls: OllamaLanguageServer, call: CommandCall
) -> ListConversationsResult:
    """An empty page when storage is off or failed: `storage` says why."""
    params = parse_params(ListConversationsParams, call.arguments)
    if not 1 <= params.limit <= MAX_PAGE:
        raise InvalidParams(f"`limit` must be 1 to {MAX_PAGE}, not {params.limit}.", "limit")
    page = None
    if (history := ls.chat_agent.history) is not None:
        try:
            page = await history.page(
                limit=params.limit,
                cursor=params.cursor,
                workspace_folders=ls.workspace_folder_uris if params.this_workspace else None,
                title_contains=params.title_contains,
            )
        except ValueError as error:
            raise InvalidParams(f"`cursor` is {error}.", "cursor") from None
    return ListConversationsResult(
        conversations=[] if page is None else [_summary(c) for c in page.conversations],
        next_cursor=None if page is None else page.next_cursor,
        storage=ls.storage_status,
    )


async def get_conversation(ls: OllamaLanguageServer, call: CommandCall) -> GetConversationResult:
    params = parse_params(ConversationParams, call.arguments)
    found = await _available(ls).get(params.conversation_id)
    if found is None:
        _raise_if_failed(ls)
        raise RequestFailed(
            "notFound", f"No stored conversation has id {params.conversation_id!r}."
        )
    summary, turns = found
    return GetConversationResult(
        conversation=_summary(summary),
        turns=[
            ConversationTurn(
                role=t.role,
                text=t.content if t.prompt is None else t.prompt,
                interrupted=t.interrupted,
                failed=t.failed,
                model=t.model,
                created_at=iso_time(t.created_at_ms),
            )
            for t in turns
        ],
    )


async def delete_conversation(
    ls: OllamaLanguageServer, call: CommandCall
) -> DeleteConversationResult:
    """Forgets it in memory too, so that continuing it starts over; with storage off only
    memory holds it. RequestFailed when storage failed: the stored copy may remain."""
    params = parse_params(ConversationParams, call.arguments)
    held = ls.chat_agent.conversations.holds(params.conversation_id)
    ls.chat_agent.reset(params.conversation_id)
    history = ls.chat_agent.history
    deleted = history is not None and await history.delete(params.conversation_id)
    _raise_if_failed(ls)
    return DeleteConversationResult(deleted=held or bool(deleted))


def _available(ls: OllamaLanguageServer) -> History:
    """The history, or RequestFailed when storage is off or has failed."""
    history = ls.chat_agent.history
    if history is None:
        raise RequestFailed(
            "storageUnavailable",
            "Conversations are not stored: setting `ollama.storage.enabled` is off.",
        )
    _raise_if_failed(ls)
    return history


def _raise_if_failed(ls: OllamaLanguageServer) -> None:
    history = ls.chat_agent.history
    if history is not None and history.problem is not None:
        raise RequestFailed("storageUnavailable", history.problem)


def _summary(stored: StoredSummary) -> ConversationSummary:
    return ConversationSummary(
        id=stored.id,
        title=stored.title,
        workspace_folder=stored.workspace_folder,
        created_at=iso_time(stored.created_at_ms),
        updated_at=iso_time(stored.updated_at_ms),
        message_count=stored.message_count,
    )
