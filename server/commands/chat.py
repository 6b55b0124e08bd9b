"""`ollama.chat`: one turn of a conversation, streamed (the agent keeps the history)."""

from __future__ import annotations

import time
import uuid

from lsprotocol import types as lsp

from ollama_lsp.agents.chat import ChatTurn, Snippet
from ollama_lsp.agents.history import Retention

from ..documents import SNIFF_CHARS, Document, FileDocument, binary_reason
from ..language_server import OllamaLanguageServer
from ..positions import PositionError
from ..protocol import (
    ChatParams,
    ChatResult,
    ContextRef,
    InvalidParams,
    Timings,
    Usage,
    parse_params,
)
from ..requests import CommandCall


async def chat(ls: OllamaLanguageServer, call: CommandCall) -> ChatResult:
    started = time.perf_counter()
    params = parse_params(ChatParams, call.arguments)
    ls.check_prompt(params.prompt)
    settings = ls.settings
    storage = settings.storage
    turn = ChatTurn(
        conversation_id=params.conversation_id or str(uuid.uuid4()),
        prompt=params.prompt,
        model=params.model or settings.model,
        system_prompt=settings.chat.system_prompt,
        max_history_messages=settings.chat.max_history_messages,
        max_conversations=settings.chat.max_conversations,
        snippets=context_snippets(ls, params.context, settings.chat.max_context_chars),
        options=params.options,
        new_conversation=params.conversation_id is None,
        workspace_folder=next(iter(ls.workspace_folder_uris), None),
        retention=Retention(storage.max_conversations, storage.max_age_days),
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
        history_forgotten=answer.history_forgotten,
        timings=Timings(
            first_token_ms=None if first is None else (first - started) * 1000,
            total_ms=(time.perf_counter() - started) * 1000,
        ),
    )


def context_snippets(
    ls: OllamaLanguageServer, refs: list[ContextRef], budget: int
) -> tuple[Snippet, ...]:
    """The snippets of `refs` in order, cut to `budget` characters in all; each file is read
    once and only as far as the budget can use."""
    snippets = []
    left = budget
    with ls.documents.for_context() as documents:
        for i, ref in enumerate(refs):
            try:
                document = documents.get(ref.uri)
            except LookupError as error:
                raise InvalidParams(f"`context[{i}].uri`: {error}.", f"context[{i}].uri") from None
            try:
                snippet = _snippet(document, ref.range, ls.position_encoding, left)
            except PositionError as error:
                raise InvalidParams(
                    f"`context[{i}].range`: {error}.", f"context[{i}].range"
                ) from None
            snippets.append(snippet)
            if snippet.left_out is None:
                left = 0 if snippet.truncated else left - len(snippet.text)
    return tuple(snippets)


def _snippet(
    document: Document | FileDocument, range: lsp.Range | None, encoding: str, left: int
) -> Snippet:
    """The snippet with at most `left` characters, or why it is left out."""
    name, language = document.name, document.language_id
    if left <= 0:
        return Snippet(name, language, "", left_out="the context budget is used up")
    if (reason := binary_reason(document.head(SNIFF_CHARS))) is not None:
        return Snippet(name, language, "", left_out=f"binary file ({reason})")
    if range is None:
        text, lines = document.head(left + 1), None
    else:
        text, lines = document.text_in(range, encoding), (range.start.line + 1, range.end.line + 1)
    return Snippet(name, language, text[:left], lines, truncated=len(text) > left)
