"""LSP positions ↔ string indices, for the server and the terminal client alike.

pygls' own document model splits lines with `str.splitlines`, which also breaks at form feeds,
U+2028 and other characters LSP does not count as line ends, so its incremental edits can land
on the wrong line. Here a line ends only at `\\n`, `\\r\\n` or `\\r`, as the spec says, and
character offsets are counted in the negotiated position encoding (UTF-16 by default).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types as lsp

_LINE_END = re.compile(r"\r\n|\r|\n")


class PositionError(ValueError):
    """A position or range that does not lie inside the document."""


def line_starts(text: str) -> list[int]:
    """Index of the first character of every LSP line (a trailing break opens a last line)."""
    return [0, *(match.end() for match in _LINE_END.finditer(text))]


def offset_at(
    text: str,
    position: lsp.Position,
    encoding: str = "utf-16",
    starts: Sequence[int] | None = None,
) -> int:
    """String index of an LSP position; raises `PositionError` outside the text. `starts`:
    the text's `line_starts`, when the caller keeps them (a big text is not scanned again)."""
    starts = line_starts(text) if starts is None else starts
    if position.line < 0 or position.character < 0 or position.line >= len(starts):
        raise PositionError(f"line {position.line} is outside the document ({len(starts)} lines)")
    end = _line_content_end(text, starts, position.line)
    offset = starts[position.line]
    units = 0
    while units < position.character:
        if offset >= end:
            raise PositionError(
                f"character {position.character} is past the end of line {position.line}"
            )
        units += code_units(text[offset], encoding)
        offset += 1
    return offset


def span(
    text: str, range: lsp.Range, encoding: str = "utf-16", starts: Sequence[int] | None = None
) -> tuple[int, int]:
    """String indices of a range's start and end; raises `PositionError` if it is bad."""
    starts = line_starts(text) if starts is None else starts
    start = offset_at(text, range.start, encoding, starts)
    end = offset_at(text, range.end, encoding, starts)
    if end < start:
        raise PositionError("the range ends before it starts")
    return start, end


def position_at(text: str, line: int, column: int, encoding: str = "utf-16") -> lsp.Position:
    """Line and character column (from 0) → LSP position in `encoding`'s code units.

    Outside the text the numbers pass through (a column past a line's end counts one unit per
    missing character), so that whoever checks the position names the problem.
    """
    starts = line_starts(text)
    if line < 0 or column < 0 or line >= len(starts):
        return lsp.Position(max(line, 0), max(column, 0))
    content = text[starts[line] : _line_content_end(text, starts, line)]
    units = sum(code_units(char, encoding) for char in content[:column])
    return lsp.Position(line, units + max(0, column - len(content)))


def _line_content_end(text: str, starts: Sequence[int], line: int) -> int:
    """Index just past the last character of `line`, before its line break."""
    if line + 1 < len(starts):
        end = starts[line + 1]
        if text[end - 2 : end] == "\r\n":
            return end - 2
        return end - 1
    return len(text)


def code_units(char: str, encoding: str) -> int:
    if encoding == lsp.PositionEncodingKind.Utf8:
        return len(char.encode("utf-8"))
    if encoding == lsp.PositionEncodingKind.Utf32:
        return 1
    return 2 if ord(char) > 0xFFFF else 1
