"""Files on disk as the server may read them: `file:` URIs under a workspace folder only."""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from .positions import line_starts

#: Files bigger than this are not read as context.
MAX_FILE_BYTES = 5_000_000
#: Characters read at a time while looking for a line's end.
READ_CHARS = 65_536


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def workspace_file(uri: str, folders: list[Path]) -> Path:
    """The file's path; `LookupError` when it is outside every workspace folder, missing, or
    too big to use as context."""
    path = uri_to_path(uri)
    if path is None or not any(path.resolve().is_relative_to(f) for f in folders):
        raise LookupError(f"{uri} is neither open in the editor nor under a workspace folder")
    if not path.is_file():
        raise LookupError(f"{uri} does not exist")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise LookupError(f"{uri} is too big to use as context")
    return path


def read_workspace_file(uri: str, folders: list[Path]) -> tuple[Path, str]:
    """The file's path and whole text (undecodable bytes replaced); `LookupError` as
    `workspace_file`."""
    path = workspace_file(uri, folders)
    return path, path.read_bytes().decode("utf-8", errors="replace")


class TextFile:
    """A file's text read from its start only as far as asked, and kept for the next ask: a
    request that needs a file's beginning reads only that, and several ranges read it once.

    An incremental UTF-8 decoder (undecodable bytes replaced) never splits a character at a
    cut; lines end at `\n`, `\r\n` or `\r`, as LSP counts them.
    """

    def __init__(self, path: Path) -> None:
        self._file = path.open(encoding="utf-8", errors="replace", newline="")
        #: Read since `_text` was last joined.
        self._pieces: list[str] = []
        self._text = ""
        #: Characters read so far, all held.
        self.chars_read = 0
        #: `line_starts` of the text read (an array: 8 bytes a line).
        self._starts = array("q", [0])
        self._ends_in_cr = False
        #: The whole file has been read.
        self.complete = False

    def close(self) -> None:
        self._file.close()

    def head(self, chars: int) -> str:
        """The first `chars` characters (fewer when the file is shorter)."""
        while self.chars_read < chars and not self.complete:
            self._add(self._file.read(chars - self.chars_read))
        return self._joined()[:chars]

    def through_line(self, line: int) -> tuple[str, Sequence[int]]:
        """The text up to the end of line `line` (0-based) with its line break, or the whole
        text when it has fewer lines, and its `line_starts`: LSP positions on lines up to
        `line` are as in the file."""
        while len(self._starts) <= line + 1 and not self.complete:
            self._add(self._file.read(READ_CHARS))
        return self._joined(), self._starts

    def _add(self, piece: str) -> None:
        if not piece:
            self.complete = True
            return
        if self._ends_in_cr and piece.startswith("\n"):
            self._starts.pop()  # one `\r\n` read in two pieces: the line starts after both
        self._starts.extend(self.chars_read + start for start in line_starts(piece)[1:])
        self._ends_in_cr = piece.endswith("\r")
        self._pieces.append(piece)
        self.chars_read += len(piece)

    def _joined(self) -> str:
        if self._pieces:
            self._text += "".join(self._pieces)
            self._pieces.clear()
        return self._text
