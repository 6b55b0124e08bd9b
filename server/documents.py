"""The server's synced copy of the editor's documents, with LSP-exact positions.

pygls' own document model splits lines with `str.splitlines`, which also breaks at form feeds,
U+2028 and other characters LSP does not count as line ends, so its incremental edits can land
on the wrong line. Here a line ends only at `\\n`, `\\r\\n` or `\\r`, as the spec says, and
character offsets are counted in the negotiated position encoding (UTF-16 by default).
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath
from urllib.parse import unquote, urlparse

import attrs
from lsprotocol import types as lsp

_LINE_END = re.compile(r"\r\n|\r|\n")

#: File extension → LSP language id, for files read from disk.
_LANGUAGES = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript",
    ".cjs": "javascript", ".jsx": "javascriptreact", ".ts": "typescript",
    ".tsx": "typescriptreact", ".rs": "rust", ".go": "go", ".java": "java", ".kt": "kotlin",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".hpp": "cpp", ".cs": "csharp",
    ".rb": "ruby", ".php": "php", ".swift": "swift", ".scala": "scala", ".lua": "lua",
    ".sh": "shellscript", ".bash": "shellscript", ".zsh": "shellscript", ".sql": "sql",
    ".html": "html", ".css": "css", ".scss": "scss", ".json": "json", ".yaml": "yaml",
    ".yml": "yaml", ".toml": "toml", ".md": "markdown", ".txt": "plaintext",
}  # fmt: skip

#: Files bigger than this are not read as context.
MAX_FILE_BYTES = 5_000_000


class PositionError(ValueError):
    """A position or range that does not lie inside the document."""


@attrs.define
class Document:
    uri: str
    text: str
    language_id: str
    #: None for a file read from disk that the editor has not opened.
    version: int | None

    @property
    def name(self) -> str:
        return PurePath(unquote(urlparse(self.uri).path)).name or self.uri

    def offset_at(self, position: lsp.Position, encoding: str = "utf-16") -> int:
        """String index of an LSP position; raises `PositionError` outside the document."""
        starts = line_starts(self.text)
        if position.line < 0 or position.character < 0 or position.line >= len(starts):
            raise PositionError(
                f"line {position.line} is outside the document ({len(starts)} lines)"
            )
        start = starts[position.line]
        end = _line_content_end(self.text, starts, position.line)
        offset = start
        units = 0
        while units < position.character:
            if offset >= end:
                raise PositionError(
                    f"character {position.character} is past the end of line {position.line}"
                )
            units += code_units(self.text[offset], encoding)
            offset += 1
        return offset

    def span(self, range: lsp.Range, encoding: str = "utf-16") -> tuple[int, int]:
        """String indices of a range's start and end; raises `PositionError` if it is bad."""
        start, end = self.offset_at(range.start, encoding), self.offset_at(range.end, encoding)
        if end < start:
            raise PositionError("the range ends before it starts")
        return start, end

    def text_in(self, range: lsp.Range, encoding: str = "utf-16") -> str:
        start, end = self.span(range, encoding)
        return self.text[start:end]

    def apply_change(
        self, change: lsp.TextDocumentContentChangeEvent, encoding: str = "utf-16"
    ) -> None:
        if isinstance(change, lsp.TextDocumentContentChangePartial):
            start = self.offset_at(change.range.start, encoding)
            end = self.offset_at(change.range.end, encoding)
            self.text = self.text[:start] + change.text + self.text[end:]
        else:
            self.text = change.text


def line_starts(text: str) -> list[int]:
    """Index of the first character of every LSP line (a trailing break opens a last line)."""
    return [0, *(match.end() for match in _LINE_END.finditer(text))]


def _line_content_end(text: str, starts: list[int], line: int) -> int:
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


def language_for(path: str) -> str:
    return _LANGUAGES.get(PurePath(path).suffix.lower(), "plaintext")


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


class Documents:
    """Open documents by URI, plus read-only access to files under the workspace folders."""

    def __init__(self) -> None:
        self._open: dict[str, Document] = {}
        self.folders: list[Path] = []

    def open(self, item: lsp.TextDocumentItem) -> None:
        self._open[item.uri] = Document(item.uri, item.text, item.language_id, item.version)

    def change(self, params: lsp.DidChangeTextDocumentParams, encoding: str) -> None:
        document = self._open.get(params.text_document.uri)
        if document is None:
            return
        for change in params.content_changes:
            document.apply_change(change, encoding)
        document.version = params.text_document.version

    def close(self, uri: str) -> None:
        self._open.pop(uri, None)

    def get(self, uri: str) -> Document:
        """The synced document, else the file under a workspace folder; `LookupError` if neither."""
        if (document := self._open.get(uri)) is not None:
            return document
        path = uri_to_path(uri)
        if path is None or not any(path.resolve().is_relative_to(f) for f in self.folders):
            raise LookupError(f"{uri} is neither open in the editor nor under a workspace folder")
        if not path.is_file():
            raise LookupError(f"{uri} does not exist")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LookupError(f"{uri} is too big to use as context")
        text = path.read_bytes().decode("utf-8", errors="replace")
        return Document(uri, text, language_for(str(path)), version=None)
