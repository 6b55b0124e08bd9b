"""Splitting a streamed body into lines: every place a chunk boundary can fall."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from ollama_lsp.agents.backends.lines import LineSplitter

TEXTS = [
    "",
    "a",
    "a\n",
    "\n",
    "\r",
    "\r\n",
    "one\ntwo\n",
    "one\r\ntwo\r\n",
    "one\rtwo\r",
    "one\r\rtwo",
    "one\r\r\ntwo",
    "one\n\rtwo\n\r",
    "data: x\r\n\r\ndata: y\n\n",
    "{}\n\n\n{}",
    "ünï\rcödé 🦙\r\n",
]


def split_in_pieces(splitter: LineSplitter, pieces: list[str]) -> list[str]:
    lines = [line for piece in pieces for line in splitter.split(piece)]
    return lines + splitter.flush()


def expected_lines(text: str) -> list[str]:
    """`\\n`, `\\r\\n` and `\\r` end lines; the text's end ends its last line, if it has one."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines[-1] == "" else lines


def cuts_of(text: str) -> list[list[str]]:
    """`text` cut into pieces at every pair of positions (empty pieces included)."""
    return [
        [text[:i], text[i:j], text[j:]]
        for i, j in itertools.combinations_with_replacement(range(len(text) + 1), 2)
    ]


@pytest.mark.parametrize("text", TEXTS)
def test_lines_do_not_depend_on_where_chunks_end(text: str) -> None:
    for pieces in cuts_of(text):
        assert split_in_pieces(LineSplitter(), pieces) == expected_lines(text), pieces


@pytest.mark.parametrize(
    ("pieces", "lines"),
    [
        (["a\r", "\nb"], ["a", "b"]),  # one `\r\n` across two chunks: one line end
        (["a\r", "b"], ["a", "b"]),  # a `\r` that ends a chunk ends its line
        (["a\r", "\r\nb"], ["a", "", "b"]),
        (["a\r", "", "\nb"], ["a", "b"]),  # an empty chunk between them changes nothing
        (["a\r"], ["a"]),
        (["a\n", "\r"], ["a", ""]),
        (["a", "b\nc", "d"], ["ab", "cd"]),
    ],
)
def test_chunk_boundaries(pieces: list[str], lines: list[str]) -> None:
    assert split_in_pieces(LineSplitter(), pieces) == lines


def test_lines_come_out_as_soon_as_they_end() -> None:
    splitter = LineSplitter()
    assert splitter.split("a\nb") == ["a"]
    assert splitter.split("c\r") == []  # held: the next chunk may start with its `\n`
    assert splitter.split("\n") == ["bc"]
    assert splitter.split("d") == []
    assert splitter.flush() == ["d"]
    assert splitter.flush() == []


def test_unicode_line_separators_stay_inside_their_line() -> None:
    """JSON allows them raw inside a string: `str.splitlines` (and httpx) would cut there."""
    text = "{'t': 'a\u2028b\u2029c\x85d\x0be\x0cf\x1cg'}\n"
    assert split_in_pieces(LineSplitter(), [text]) == [text[:-1]]


@pytest.mark.parametrize("text", TEXTS)
async def test_same_lines_as_httpx(text: str) -> None:
    """Where httpx's `aiter_lines` splits as NDJSON and SSE do, ours gives the same lines."""
    for pieces in cuts_of(text):

        async def body(pieces: list[str] = pieces) -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece.encode()

        response = httpx.Response(200, content=body())
        httpx_lines = [line async for line in response.aiter_lines()]
        assert split_in_pieces(LineSplitter(), pieces) == httpx_lines, pieces
