"""Where `ollama-lsp generate` works: `FILE:LINE[:COL][-LINE[:COL]]` → a file and an LSP range."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types as lsp

from ollama_lsp.server.positions import line_starts, position_at

_TARGET = re.compile(
    r"(?P<file>.+?):(?P<line>\d+)(?::(?P<col>\d+))?"
    r"(?:-(?P<end_line>\d+)(?::(?P<end_col>\d+))?)?"
)


def parse_target(spec: str) -> tuple[Path, Callable[[str], lsp.Range]]:
    """`FILE:LINE[:COL][-LINE[:COL]]` (1-based lines and columns, columns in characters).

    One position is a cursor (column 1 by default); `L1-L2` selects lines L1 to L2 whole, with
    the last one's line break; an end column is the position just after the selection.
    Returns the file and a function that turns the file's text into the LSP range (UTF-16).
    """
    match = _TARGET.fullmatch(spec)
    if match is None:
        raise ValueError(f"expected FILE:LINE[:COL][-LINE[:COL]], got {spec!r}")
    line = int(match["line"]) - 1
    col = int(match["col"] or 1) - 1

    def range_of(text: str) -> lsp.Range:
        start = position_at(text, line, col)
        if match["end_line"] is None:
            return lsp.Range(start, start)
        end_line = int(match["end_line"]) - 1
        if match["end_col"] is not None:
            return lsp.Range(start, position_at(text, end_line, int(match["end_col"]) - 1))
        if end_line + 1 < len(line_starts(text)):
            return lsp.Range(start, lsp.Position(end_line + 1, 0))
        return lsp.Range(start, position_at(text, end_line, len(text)))

    return Path(match["file"]), range_of
