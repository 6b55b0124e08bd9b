"""The server's synced copy of the editor's documents (positions: see `positions`)."""

from __future__ import annotations

from pathlib import Path, PurePath
from urllib.parse import unquote, urlparse

import attrs
from lsprotocol import types as lsp

from .files import read_workspace_file
from .languages import language_for
from .positions import offset_at, span


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

    def span(self, range: lsp.Range, encoding: str = "utf-16") -> tuple[int, int]:
        """String indices of a range's start and end; raises `PositionError` if it is bad."""
        return span(self.text, range, encoding)

    def text_in(self, range: lsp.Range, encoding: str = "utf-16") -> str:
        start, end = self.span(range, encoding)
        return self.text[start:end]

    def apply_change(
        self, change: lsp.TextDocumentContentChangeEvent, encoding: str = "utf-16"
    ) -> None:
        if isinstance(change, lsp.TextDocumentContentChangePartial):
            start = offset_at(self.text, change.range.start, encoding)
            end = offset_at(self.text, change.range.end, encoding)
            self.text = self.text[:start] + change.text + self.text[end:]
        else:
            self.text = change.text


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
        path, text = read_workspace_file(uri, self.folders)
        return Document(uri, text, language_for(str(path)), version=None)
