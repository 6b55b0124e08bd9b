"""Scripting: how the server answers one chat (`Script`), which script answers which chat
(`Scripts`), and the steps a script plays — writes, pauses and the failures tests ask for."""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import attrs

Kind = Literal["thinking", "content"]

#: Pieces (thinking or content chunks) not separated by a pause are written together, this
#: many at most: the same bytes in fewer syscalls, so that a burst is not limited by this server.
MAX_PIECES_PER_WRITE = 64
#: The pause between two bytes of a dribbled line.
DRIBBLE_PAUSE_S = 0.02
#: How much of an endless line is sent before the server falls silent (a bound for this
#: server's sake, far above any client's line limit).
ENDLESS_LINE_BYTES = 64 * 1024 * 1024


@attrs.define
class Script:
    """How the server answers one chat request."""

    #: Content pieces, one NDJSON line / SSE event each.
    chunks: list[str] = attrs.Factory(lambda: ["Hello", ", ", "world", "!"])
    #: Thinking pieces, sent before the content.
    thinking: list[str] = attrs.Factory(list)
    #: Pause before each chunk after the first.
    delay_s: float = 0.0
    #: Pause after the response headers, before the first chunk.
    first_delay_s: float = 0.0
    #: Pause before the response headers (Ollama sends its headers with the first chunk, so
    #: a model that is still loading looks like this).
    head_delay_s: float = 0.0
    #: != 200: answer that status with the API's error body carrying `error`, at once.
    status: int = 200
    #: The error message; `{authorization}` in it becomes the request's Authorization header
    #: (some servers echo it when they refuse a key).
    error: str = "boom"
    #: Answer 200 with this body and `content_type` instead of a stream, as a web page or any
    #: server that is not a model server would.
    page: str | None = None
    content_type: str = "text/html; charset=utf-8"
    #: After N content chunks send the API's mid-stream error and end the stream cleanly.
    error_after: int | None = None
    #: After N chunks (thinking + content) abort the TCP connection (no terminating chunk).
    drop_after: int | None = None
    #: After N chunks send nothing more; keep the connection open until the client leaves.
    stall_after: int | None = None
    #: After N chunks send one malformed (non-JSON) line, then continue.
    garbage_after: int | None = None
    #: After N chunks start one more line and send it a byte at a time, `DRIBBLE_PAUSE_S`
    #: apart, never ending it, until the client leaves (bytes flow, no token arrives).
    dribble_after: int | None = None
    #: After N chunks start one more line and send `ENDLESS_LINE_BYTES` of it as fast as the
    #: client reads, without a line end; then nothing more until the client leaves.
    endless_line_after: int | None = None
    done_reason: str = "stop"
    #: Write the response body in pieces of this many bytes (drain + tiny sleep between) so
    #: UTF-8 characters and lines are split across TCP reads.
    write_size: int | None = None
    #: Token counts reported at the end; default: words of the request's messages / pieces sent.
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def steps(self) -> Iterator[Step]:
        """The answer as the server plays it after the headers, in order; a normal end (the
        API's final message) follows unless the last step is a failure other than garbage."""
        # Pieces are the thinking chunks, then the content chunks. No list of them all is built:
        # for a burst of 300,000 its allocation and release cost this server ~15 ms.
        thought, total = len(self.thinking), len(self.thinking) + len(self.chunks)
        failures = self._failures_by_pieces_sent()
        # Without a pause between pieces, a write carries up to the next failure.
        per_write = 1 if self.delay_s else MAX_PIECES_PER_WRITE
        if self.first_delay_s:
            yield Pause(self.first_delay_s)
        sent = 0
        while True:
            if 0 < sent < total and self.delay_s:
                yield Pause(self.delay_s)
            for failure in failures.get(sent, ()):
                yield failure
                if failure is not Failure.GARBAGE:
                    return
            if sent == total:
                return
            next_failure = min((at for at in failures if at > sent), default=total)
            # The first piece goes alone, as a model's first token does (the benchmark times it).
            stop = min(sent + (per_write if sent else 1), next_failure)
            if sent < thought:
                end = min(stop, thought)
                yield Write("thinking", self.thinking[sent:end])
            else:
                end = min(stop, total)
                yield Write("content", self.chunks[sent - thought : end - thought])
            sent = end

    def _failures_by_pieces_sent(self) -> dict[int, list[Failure]]:
        """The scripted failures, keyed by how many pieces (thinking + content) go before."""
        # The content follows the thinking: content piece N is piece len(thinking) + N.
        error_at = self.error_after
        if error_at:
            error_at += len(self.thinking)
        failures: dict[int, list[Failure]] = {}
        for at, failure in (
            (self.garbage_after, Failure.GARBAGE),
            (error_at, Failure.ERROR),
            (self.drop_after, Failure.DROP),
            (self.stall_after, Failure.STALL),
            (self.dribble_after, Failure.DRIBBLE),
            (self.endless_line_after, Failure.ENDLESS_LINE),
        ):
            if at is not None:
                failures.setdefault(at, []).append(failure)
        return failures

    def usage(self, request: dict[str, Any]) -> Usage:
        """The token counts the answer reports at its end."""
        prompt = self.prompt_tokens
        if prompt is None:
            messages = request.get("messages") or []
            text = " ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
            prompt = max(1, len(text.split()))
        completion = self.completion_tokens
        if completion is None:
            completion = len(self.chunks) + len(self.thinking)
        return Usage(prompt, completion)


@attrs.frozen
class Write:
    """Write these pieces, all of one kind, in one write."""

    kind: Kind
    texts: list[str]


@attrs.frozen
class Pause:
    """Send nothing for this long (the client leaving ends the answer at once)."""

    seconds: float


class Failure(enum.Enum):
    #: One malformed (non-JSON) line; the stream goes on.
    GARBAGE = "garbage"
    #: The API's mid-stream error; the stream ends cleanly.
    ERROR = "error"
    #: The TCP connection aborted, without a terminating chunk.
    DROP = "drop"
    #: Nothing more until the client leaves.
    STALL = "stall"
    #: One line's bytes, slowly, never its end.
    DRIBBLE = "dribble"
    #: One line's bytes, fast, never its end.
    ENDLESS_LINE = "endless line"


Step = Write | Pause | Failure


@attrs.frozen
class Usage:
    prompt: int
    completion: int


@attrs.define
class Scripts:
    """Which script answers a chat: the newest whose `match` is in the chat's last user
    message, else the default."""

    default: Script = attrs.Factory(Script)
    _matched: list[tuple[str, Script]] = attrs.Factory(list)

    def add(self, script: Script, match: str | None = None) -> None:
        """`match=None` replaces the default script."""
        if match is None:
            self.default = script
        else:
            self._matched.insert(0, (match, script))

    def clear(self) -> None:
        self._matched.clear()
        self.default = Script()

    def for_message(self, text: str) -> Script:
        return next((script for match, script in self._matched if match in text), self.default)

    def load(self, path: Path) -> None:
        """A JSON file: an object of `Script` fields (the default script), or a list of them,
        each with an optional "match" key."""
        data = json.loads(path.read_text(encoding="utf-8"))
        for entry in data if isinstance(data, list) else [data]:
            fields = dict(entry)
            match = fields.pop("match", None)
            self.add(Script(**fields), match)


def words(text: str) -> list[str]:
    """Split `text` into word pieces that join back to the text exactly."""
    return re.findall(r"\s*\S+|\s+$", text)
