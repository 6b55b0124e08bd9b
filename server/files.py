"""Files on disk as the server may read them: `file:` URIs under a workspace folder only."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

#: Files bigger than this are not read as context.
MAX_FILE_BYTES = 5_000_000


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path))


def read_workspace_file(uri: str, folders: list[Path]) -> tuple[Path, str]:
    """The file's path and text (undecodable bytes replaced); `LookupError` when it is outside
    every workspace folder, missing, or too big to use as context."""
    path = uri_to_path(uri)
    if path is None or not any(path.resolve().is_relative_to(f) for f in folders):
        raise LookupError(f"{uri} is neither open in the editor nor under a workspace folder")
    if not path.is_file():
        raise LookupError(f"{uri} does not exist")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise LookupError(f"{uri} is too big to use as context")
    return path, path.read_bytes().decode("utf-8", errors="replace")
