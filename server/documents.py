"""The server's synced copy of the editor's documents (positions: see `positions`)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path, PurePath
from types import TracebackType
from urllib.parse import unquote, urlparse

import attrs
from lsprotocol import types as lsp

from .files import MAX_FILE_BYTES, TextFile, read_workspace_file, workspace_file
from .languages import language_for
from .positions import offset_at, span

#: A document's first characters that tell whether it is binary.
SNIFF_CHARS = 8_192
#: Above this share of undecodable bytes among them, a document is not text (a Latin-1 file
#: of German has about 2 in 10, one in cp1251 or Shift JIS, or random bytes, 4 to 8).
MAX_UNDECODABLE_SHARE = 0.3
#: Text of other files held while one request's context is read (see `ContextDocuments`).
MAX_HELD_CHARS = MAX_FILE_BYTES


def name_of(uri: str) -> str:
    """The file name shown to the model."""
    return PurePath(unquote(urlparse(uri).path)).name or uri


def binary_reason(head: str) -> str | None:
    """Why a document starting with `head` is binary (its text would be noise to the model),
    or None for text."""
    if "\0" in head:
        return "NUL bytes"
    if head.count("\ufffd") > len(head) * MAX_UNDECODABLE_SHARE:
        return "not UTF-8 text"
    return None


@attrs.define
class Document:
    uri: str
    text: str
    language_id: str
    #: None for a file read from disk that the editor has not opened.
    version: int | None

    @property
    def name(self) -> str:
        return name_of(self.uri)

    def head(self, chars: int) -> str:
        return self.text[:chars]

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

    def for_context(self) -> ContextDocuments:
        return ContextDocuments(self._open, self.folders)


@attrs.define
class FileDocument:
    """A file the editor has not opened, read only as far as a request asks."""

    uri: str
    language_id: str
    file: TextFile

    @property
    def name(self) -> str:
        return name_of(self.uri)

    def head(self, chars: int) -> str:
        return self.file.head(chars)

    def text_in(self, range: lsp.Range, encoding: str = "utf-16") -> str:
        """Reads the file up to the range's last line; raises `PositionError` if it is bad."""
        text, starts = self.file.through_line(range.end.line)
        start, end = span(text, range, encoding, starts)
        return text[start:end]


class ContextDocuments:
    """The documents one request takes context from: open ones as synced, each file on disk
    opened once and read only as far as asked (a `with` block closes them).

    Files read are held for the request's next references, but beyond `MAX_HELD_CHARS` the
    least recently used is let go (read again if a later reference needs it): ranges deep in
    many big files never hold them all at once.
    """

    def __init__(self, open: Mapping[str, Document], folders: list[Path]) -> None:
        self._open = open
        self._folders = folders
        #: By resolved path (two URIs of one file share its reads), most recently used last.
        self._files: OrderedDict[Path, TextFile] = OrderedDict()

    def get(self, uri: str) -> Document | FileDocument:
        """`LookupError` when the document is neither open nor a file the server may read."""
        if (document := self._open.get(uri)) is not None:
            return document
        path = workspace_file(uri, self._folders)
        key = path.resolve()
        if (file := self._files.pop(key, None)) is None:
            try:
                file = TextFile(path)
            except OSError as error:
                raise LookupError(f"{uri} cannot be read: {error.strerror}") from None
        held = sum(f.chars_read for f in self._files.values())
        while held > MAX_HELD_CHARS:
            _, old = self._files.popitem(last=False)
            old.close()
            held -= old.chars_read
        self._files[key] = file
        return FileDocument(uri, language_for(str(path)), file)

    def __enter__(self) -> ContextDocuments:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for file in self._files.values():
            file.close()
