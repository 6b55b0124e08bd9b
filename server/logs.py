"""Logs go to stderr and to the editor (`window/logMessage`), never to stdout."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any

from lsprotocol import types as lsp

from .pygls_internals import send_json
from .structure import unstructure

_LSP_LEVELS = [
    (logging.ERROR, lsp.MessageType.Error),
    (logging.WARNING, lsp.MessageType.Warning),
    (logging.INFO, lsp.MessageType.Info),
]


class EditorLogHandler(logging.Handler):
    """Forwards our own log records to the client's output panel."""

    def __init__(self, ls: Any) -> None:
        super().__init__(logging.INFO)
        self._ls = ls

    def emit(self, record: logging.LogRecord) -> None:
        if self._ls.protocol.writer is None:
            return
        kind = next((t for level, t in _LSP_LEVELS if record.levelno >= level), None)
        if kind is None:
            return
        try:
            params = lsp.LogMessageParams(type=kind, message=self.format(record))
            send_json(self._ls.protocol, lsp.WINDOW_LOG_MESSAGE, unstructure(params))
        except Exception:  # a broken log line must not break a stream
            self.handleError(record)


def setup_logging(level: str) -> None:
    """Our log on stderr at `level` (pygls' at WARNING)."""
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(stderr)
    root.setLevel(level.upper())
    # pygls logs every message at INFO: far too much, and slow on a busy stream.
    logging.getLogger("pygls").setLevel(logging.WARNING)


@contextlib.contextmanager
def log_to_editor(ls: Any) -> Iterator[None]:
    """Our log also goes to the client of `ls` while the block runs (one client's session)."""
    editor = EditorLogHandler(ls)
    editor.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    ours = logging.getLogger("ollama_lsp")
    ours.addHandler(editor)
    try:
        yield
    finally:
        ours.removeHandler(editor)
