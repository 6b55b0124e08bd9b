"""Position math shared by the server and the terminal client: both directions agree."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from ollama_lsp.server.positions import PositionError, line_starts, offset_at, position_at

TEXT = "a🎉b\r\nÇa\rlast\n"


def test_only_lsp_line_ends_break_lines():
    assert line_starts("a\fb\u2028c\r\nd\re\nf") == [0, 7, 9, 11]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_position_at_and_offset_at_are_inverse(encoding: str):
    starts = line_starts(TEXT)
    for line, start in enumerate(starts):
        end = starts[line + 1] if line + 1 < len(starts) else len(TEXT)
        for column in range(len(TEXT[start:end].rstrip("\r\n")) + 1):
            position = position_at(TEXT, line, column, encoding)
            assert offset_at(TEXT, position, encoding) == start + column


def test_code_units_per_encoding():
    assert position_at(TEXT, 0, 2, "utf-16") == lsp.Position(0, 3)
    assert position_at(TEXT, 0, 2, "utf-8") == lsp.Position(0, 5)
    assert position_at(TEXT, 0, 2, "utf-32") == lsp.Position(0, 2)


def test_outside_the_text_positions_pass_through_for_the_server_to_reject():
    assert position_at(TEXT, 1, 5) == lsp.Position(1, 5)  # "Ça" has 2 characters
    assert position_at(TEXT, 9, 4) == lsp.Position(9, 4)
    with pytest.raises(PositionError, match="past the end of line 1"):
        offset_at(TEXT, lsp.Position(1, 5))
    with pytest.raises(PositionError, match="line 9 is outside"):
        offset_at(TEXT, lsp.Position(9, 0))
