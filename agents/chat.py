"""The chat agent: conversations with history, editor context in the prompt, streamed answers.

It knows nothing of LSP: it takes a backend and a callback for deltas. A stopped or failed
answer stays in the history as an interrupted assistant turn, so the next question of the
conversation sees what the user saw.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import attrs

from .backends.base import BackendError, ChatRequest, Delta, Finish, Message, ModelBackend

INTERRUPTED_MARK = "\n\n[This answer was interrupted before it was complete.]"


@attrs.frozen
class Snippet:
    """Editor context for a prompt: part of a file, with what the model needs to read it."""

    name: str
    language: str
    text: str
    #: 1-based first and last line, when the snippet is not the whole file.
    lines: tuple[int, int] | None = None


@attrs.frozen
class ChatTurn:
    conversation_id: str
    prompt: str
    model: str
    system_prompt: str
    max_history_messages: int
    snippets: tuple[Snippet, ...] = ()
    max_context_chars: int = 24_000
    options: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class ChatAnswer:
    text: str
    thinking: str
    finish: Finish
    #: `time.perf_counter()` of the first delta, None when the model sent none.
    first_delta_at: float | None


@attrs.define
class _Turn:
    role: str
    content: str
    interrupted: bool = False

    def as_message(self) -> Message:
        content = self.content + INTERRUPTED_MARK if self.interrupted else self.content
        return Message(role=self.role, content=content)  # type: ignore[arg-type]


class ChatAgent:
    def __init__(self) -> None:
        self._conversations: dict[str, list[_Turn]] = {}

    def reset(self, conversation_id: str) -> None:
        """Forget a conversation; unknown ids are fine."""
        self._conversations.pop(conversation_id, None)

    def history(self, conversation_id: str) -> list[Message]:
        return [turn.as_message() for turn in self._conversations.get(conversation_id, [])]

    async def answer(
        self, backend: ModelBackend, turn: ChatTurn, on_delta: Callable[[Delta], None]
    ) -> ChatAnswer:
        """Stream the model's answer to `turn` through `on_delta` and record it."""
        history = self._conversations.setdefault(turn.conversation_id, [])
        user = _Turn("user", with_context(turn.prompt, turn.snippets, turn.max_context_chars))
        recent = history[-turn.max_history_messages :] if turn.max_history_messages else []
        messages = (
            Message("system", turn.system_prompt),
            *(t.as_message() for t in recent),
            user.as_message(),
        )
        content: list[str] = []
        thinking: list[str] = []
        first_delta_at: float | None = None
        finish: Finish | None = None
        try:
            async for event in backend.stream_chat(
                ChatRequest(model=turn.model, messages=messages, options=turn.options)
            ):
                if isinstance(event, Finish):
                    finish = event
                    continue
                if first_delta_at is None:
                    first_delta_at = time.perf_counter()
                (content if event.kind == "content" else thinking).append(event.text)
                on_delta(event)
            if finish is None:
                raise BackendError("streamDropped", "The model's stream ended without a finish.")
        except (asyncio.CancelledError, BackendError):
            history += [user, _Turn("assistant", "".join(content), interrupted=True)]
            raise
        text = "".join(content)
        history += [user, _Turn("assistant", text)]
        return ChatAnswer(text, "".join(thinking), finish, first_delta_at)


def with_context(prompt: str, snippets: tuple[Snippet, ...], budget: int) -> str:
    """The user's prompt preceded by editor snippets, cut to `budget` characters in all."""
    if not snippets:
        return prompt
    parts = ["Context from the editor:"]
    left = budget
    for snippet in snippets:
        if left <= 0:
            parts.append(f"[{snippet.name} left out: the context budget is used up]")
            continue
        text = snippet.text
        if len(text) > left:
            text = text[:left] + "\n… [truncated]"
        left -= len(snippet.text)
        where = f", lines {snippet.lines[0]}-{snippet.lines[1]}" if snippet.lines else ""
        fence = "````" if "```" in text else "```"
        parts.append(
            f"{snippet.name} ({snippet.language}{where}):\n{fence}{snippet.language}\n"
            f"{text.rstrip(chr(10))}\n{fence}"
        )
    return "\n\n".join(parts) + f"\n\nQuestion:\n{prompt}"
