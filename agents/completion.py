"""As-you-type completion, model side: read a fill-in-the-middle stream and close it the moment
the suggestion is complete (every token after that is the model's time wasted, and a local
model serves one request at a time).

The stop rules, on the text around the cursor:
- text after the cursor on its line (mid-line): the suggestion ends at the end of the line,
  less what repeats the rest of the line;
- otherwise (an empty line, or the end of one) a block: it ends at the first line whose
  indentation returns to the cursor line's level or less (a line of closing brackets at that
  level is the block's last), or that repeats the first line of the code below the cursor;
- `maxTokens` deltas, and a time cap counted from the first token (loading is not counted:
  the first-token deadline of `ollama.timeouts` covers it).
"""

from __future__ import annotations

import asyncio
import contextlib
import re

import attrs

from .backends.base import FillRequest, Finish, ModelBackend


@attrs.frozen
class Cursor:
    """The text around the cursor, as the stop rules need it."""

    #: The cursor's line, before the cursor.
    line_prefix: str
    #: The cursor's line, after the cursor.
    line_suffix: str
    #: The first non-blank line below the cursor's line, without trailing blanks ("" if none).
    next_line: str

    @classmethod
    def at(cls, prefix: str, suffix: str) -> Cursor:
        """From the text before and after the cursor (any of `\\n`, `\\r\\n`, `\\r` line ends)."""
        prefix_lines = prefix.replace("\r\n", "\n").replace("\r", "\n").rsplit("\n", 1)
        line_suffix, *below = suffix.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        next_line = next((line.rstrip() for line in below if line.strip()), "")
        return cls(prefix_lines[-1], line_suffix, next_line)

    @property
    def mid_line(self) -> bool:
        return bool(self.line_suffix.strip())


#: A line that only closes what the block opened: `}`, `})`, `];`, `end`, ...
_CLOSER = re.compile(r"[)\]}]+[;,)]*|end|fi|done|esac")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


class SuggestionCutter:
    """Fed the model's text piece by piece; says when the suggestion is complete."""

    def __init__(self, cursor: Cursor) -> None:
        self.cursor = cursor
        self.text = ""
        self.complete = False
        blank_line = not cursor.line_prefix.strip()
        #: The block's indentation; on a blank line, set by the suggestion's first line.
        self._level: int | None = None if blank_line else _indent(cursor.line_prefix)
        #: Lines of `text` already judged complete and kept.
        self._checked = 0

    def feed(self, piece: str) -> bool:
        """Add a piece of the model's output; True once the suggestion is complete."""
        if self.complete:
            return True
        self.text += piece
        if self.cursor.mid_line:
            end = self.text.find("\n")
            if end >= 0:
                self.text, self.complete = self.text[:end], True
            return self.complete
        lines = self.text.split("\n")
        for index in range(self._checked, len(lines)):
            line, whole = lines[index], index < len(lines) - 1
            if index == 0:
                line = self.cursor.line_prefix + line
            if self._closes_block(index, line):
                if whole:
                    self.text = "\n".join(lines[: index + 1])
                    self.complete = True
                    return True
                break
            if self._ends_block(index, line, whole):
                self.text = "\n".join(lines[:index])
                self.complete = True
                return True
            if not whole:
                break
            self._checked = index + 1
        return False

    def _closes_block(self, index: int, line: str) -> bool:
        """A line of closing brackets (or `end`) back at the block's level is its last line."""
        return index > 0 and _indent(line) == self._level and bool(_CLOSER.fullmatch(line.strip()))

    def _ends_block(self, index: int, line: str, whole: bool) -> bool:
        """Whether `line` (the cursor's line with its prefix when index is 0) is past the end
        of the suggestion; `whole`: its line end has arrived."""
        content = line.strip()
        if not content:
            return False
        if self._level is None:
            self._level = _indent(line)
            return False
        if index > 0 and _indent(line) <= self._level:
            return True
        return whole and line.rstrip() == self.cursor.next_line

    def suggestion(self) -> str:
        """What to show: the text up to where it ended, without what repeats the code after
        the cursor and without trailing blanks (a block cut by the time cap loses its partial
        last line)."""
        text = self.text
        if not self.complete and not self.cursor.mid_line and "\n" in text:
            text = text[: text.rfind("\n")]
        text = text.rstrip()
        rest = self.cursor.line_suffix.strip()
        if self.cursor.mid_line and rest and text.endswith(rest):
            text = text[: -len(rest)].rstrip()
        elif not self.cursor.mid_line and self.cursor.next_line:
            lines = text.split("\n")
            last = lines[-1] if len(lines) > 1 else self.cursor.line_prefix + lines[0]
            if last.rstrip() == self.cursor.next_line:
                text = "\n".join(lines[:-1]).rstrip()
        return text

    def finished_by_model(self) -> None:
        """The model ended the stream itself: whatever it wrote is whole."""
        self.complete = True


async def suggest(
    backend: ModelBackend,
    request: FillRequest,
    max_time_s: float,
    first_token: asyncio.Event | None = None,
) -> str:
    """The model's suggestion for `request`, its stream closed as soon as the suggestion is
    complete, after `request.max_tokens` deltas, or `max_time_s` after the first token (then
    `first_token` is set, if given). Raises `BackendError` as the backend does."""
    cutter = SuggestionCutter(Cursor.at(request.prefix, request.suffix))
    deltas = 0
    loop = asyncio.get_running_loop()
    try:
        async with (
            asyncio.timeout(None) as cap,
            contextlib.aclosing(backend.stream_fill(request)) as events,  # type: ignore[type-var]
        ):
            async for event in events:
                if isinstance(event, Finish):
                    if event.done_reason == "stop":
                        cutter.finished_by_model()
                    break
                if event.kind != "content":
                    continue
                if deltas == 0:
                    cap.reschedule(loop.time() + max_time_s)
                    if first_token is not None:
                        first_token.set()
                deltas += 1
                if cutter.feed(event.text) or deltas >= request.max_tokens:
                    break
    except TimeoutError:
        pass  # the time cap: show what is complete
    return cutter.suggestion()
