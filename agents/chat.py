"""The chat agent: conversations with history, editor context in the prompt, streamed answers.

It knows nothing of LSP: it takes a backend and a callback for deltas. A stopped or failed
answer stays in the history as an interrupted assistant turn, so the next question of the
conversation sees what the user saw. Memory is bounded: see `Conversations`. With a `History`
every exchange is also written to disk as it ends (a stopped or failed one too), and a
conversation memory does not hold is loaded from there.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import attrs

from .backends.base import BackendError, ChatRequest, Delta, Finish, Message, ModelBackend
from .history import History, Retention, StoredTurn, title_of

log = logging.getLogger(__name__)

INTERRUPTED_MARK = "\n\n[This answer was interrupted before it was complete.]"


@attrs.frozen
class Snippet:
    """Editor context for a prompt: part of a file, with what the model needs to read it."""

    name: str
    language: str
    text: str
    #: 1-based first and last line, when the snippet is not the whole file.
    lines: tuple[int, int] | None = None
    #: The text is the beginning of the snippet, cut to fit the context budget.
    truncated: bool = False
    #: Why the snippet is not in the prompt at all (its `text` is then empty).
    left_out: str | None = None


@attrs.frozen
class ChatTurn:
    conversation_id: str
    prompt: str
    model: str
    system_prompt: str
    #: Earlier messages sent with the prompt, and all that the conversation keeps.
    max_history_messages: int
    #: Conversations held in memory (see `Conversations`).
    max_conversations: int
    #: Already fitted to the context budget.
    snippets: tuple[Snippet, ...] = ()
    options: dict[str, Any] = attrs.field(factory=dict)
    #: The id is new (not the client's): there is nothing stored to load.
    new_conversation: bool = False
    #: Stored with the conversation (where it was held).
    workspace_folder: str | None = None
    #: What storage keeps, applied as this exchange is written.
    retention: Retention = attrs.field(factory=Retention)


@attrs.frozen
class ChatAnswer:
    text: str
    thinking: str
    finish: Finish
    #: `time.perf_counter()` of the first delta, None when the model sent none.
    first_delta_at: float | None
    #: The conversation had been forgotten (see `Conversations`): the model did not see its
    #: earlier turns, and it starts over from this one.
    history_forgotten: bool


@attrs.define
class _Turn:
    role: str
    content: str
    interrupted: bool = False
    #: Interrupted by the model server's error rather than by a stop.
    failed: bool = False

    def as_message(self) -> Message:
        content = self.content + INTERRUPTED_MARK if self.interrupted else self.content
        return Message(role=self.role, content=content)  # type: ignore[arg-type]


#: Ids of forgotten conversations remembered (about 100 bytes each), so that continuing one
#: says its history is gone; beyond them an old id is taken for a new conversation.
FORGOTTEN_IDS_KEPT = 1_000


class Conversations:
    """The conversations in use, most recently used last, each holding only the messages a
    prompt can use: memory stays bounded however many conversations and turns there are.

    Beyond the capacity the least recently used conversation is forgotten; its id is kept so
    that continuing it is reported (`ChatAnswer.history_forgotten`) instead of answered as if
    nothing had been said. With storage `ChatAgent` loads a conversation on a miss (`holds`)
    and writes through after `record`, so a forgotten one comes back from disk.
    """

    def __init__(self) -> None:
        self._held: OrderedDict[str, list[_Turn]] = OrderedDict()
        self._forgotten: OrderedDict[str, None] = OrderedDict()

    def holds(self, conversation_id: str) -> bool:
        return conversation_id in self._held

    def recent(self, conversation_id: str, count: int) -> tuple[list[_Turn], bool]:
        """The conversation's last `count` turns, and whether it had been forgotten."""
        history = self._held.get(conversation_id)
        if history is None:
            return [], conversation_id in self._forgotten
        self._held.move_to_end(conversation_id)
        return history[-count:] if count else [], False

    def record(self, conversation_id: str, turns: list[_Turn], *, keep: int, capacity: int) -> None:
        """Add `turns`; the conversation keeps its last `keep` and becomes the most recent."""
        history = self._held.pop(conversation_id, [])
        history += turns
        del history[: max(0, len(history) - keep)]
        self._held[conversation_id] = history
        self._forgotten.pop(conversation_id, None)
        while len(self._held) > capacity:
            forgotten, _ = self._held.popitem(last=False)
            self._forgotten[forgotten] = None
        while len(self._forgotten) > FORGOTTEN_IDS_KEPT:
            self._forgotten.popitem(last=False)

    def reset(self, conversation_id: str) -> None:
        """Forget a conversation at the user's request: continuing it is not reported."""
        self._held.pop(conversation_id, None)
        self._forgotten.pop(conversation_id, None)


class ChatAgent:
    def __init__(self) -> None:
        self.conversations = Conversations()
        #: Where conversations are stored; None: in memory only.
        self.history: History | None = None

    def reset(self, conversation_id: str) -> None:
        """Release a conversation from memory (a stored copy stays); unknown ids are fine."""
        self.conversations.reset(conversation_id)

    async def answer(
        self, backend: ModelBackend, turn: ChatTurn, on_delta: Callable[[Delta], None]
    ) -> ChatAnswer:
        """Stream the model's answer to `turn` through `on_delta` and record it."""
        recent, forgotten = await self._recent(turn)
        if forgotten:
            log.info(
                "Conversation %s was forgotten (memory holds the last %d used): "
                "it starts over, without its earlier turns.",
                turn.conversation_id,
                turn.max_conversations,
            )
        user = _Turn("user", with_context(turn.prompt, turn.snippets))
        messages = (
            Message("system", turn.system_prompt),
            *(t.as_message() for t in recent),
            user.as_message(),
        )

        def record(answer: _Turn, model: str) -> None:
            self.conversations.record(
                turn.conversation_id,
                [user, answer],
                keep=turn.max_history_messages,
                capacity=turn.max_conversations,
            )
            if self.history is not None:
                self.history.append(
                    turn.conversation_id,
                    [
                        StoredTurn("user", user.content, prompt=turn.prompt),
                        StoredTurn(
                            "assistant",
                            answer.content,
                            None,
                            answer.interrupted,
                            model,
                            failed=answer.failed,
                        ),
                    ],
                    title=title_of(turn.prompt),
                    workspace_folder=turn.workspace_folder,
                    retention=turn.retention,
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
        except asyncio.CancelledError:
            record(_Turn("assistant", "".join(content), interrupted=True), turn.model)
            raise
        except BackendError:
            record(_Turn("assistant", "".join(content), interrupted=True, failed=True), turn.model)
            raise
        text = "".join(content)
        record(_Turn("assistant", text), finish.model or turn.model)
        return ChatAnswer(text, "".join(thinking), finish, first_delta_at, forgotten)

    async def _recent(self, turn: ChatTurn) -> tuple[list[_Turn], bool]:
        """The turns to send before the prompt, and whether the conversation was forgotten;
        loaded from storage when memory does not hold them."""
        conversation_id = turn.conversation_id
        held = self.conversations.holds(conversation_id)
        if not held and not turn.new_conversation and self.history is not None:
            stored = await self.history.recent_turns(conversation_id, turn.max_history_messages)
            if stored:
                self.conversations.record(
                    conversation_id,
                    [_Turn(t.role, t.content, t.interrupted) for t in stored],
                    keep=turn.max_history_messages,
                    capacity=turn.max_conversations,
                )
        return self.conversations.recent(conversation_id, turn.max_history_messages)


def with_context(prompt: str, snippets: tuple[Snippet, ...]) -> str:
    """The user's prompt preceded by editor snippets (already fitted to the budget)."""
    if not snippets:
        return prompt
    parts = ["Context from the editor:"]
    for snippet in snippets:
        if snippet.left_out is not None:
            parts.append(f"[{snippet.name} left out: {snippet.left_out}]")
            continue
        text = snippet.text + "\n… [truncated]" if snippet.truncated else snippet.text
        where = f", lines {snippet.lines[0]}-{snippet.lines[1]}" if snippet.lines else ""
        fence = "````" if "```" in text else "```"
        parts.append(
            f"{snippet.name} ({snippet.language}{where}):\n{fence}{snippet.language}\n"
            f"{text.rstrip(chr(10))}\n{fence}"
        )
    return "\n\n".join(parts) + f"\n\nQuestion:\n{prompt}"
