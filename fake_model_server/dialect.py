"""What each model API's wire format provides: its paths, the bodies of errors and of the model
listing, and the encoding of one streamed answer. `ollama.py` and `openai.py` implement it."""

from __future__ import annotations

import abc
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from fake_model_server.script import Kind, Usage

Api = Literal["ollama", "openai"]


class Answer(abc.ABC):
    """The encoder of one streamed answer: pieces, then an error or the final message."""

    @abc.abstractmethod
    def deltas(self, kind: Kind, texts: Sequence[str]) -> bytes:
        """The lines / events of these pieces, written at once."""

    @abc.abstractmethod
    def error(self, message: str) -> bytes:
        """The API's mid-stream error, after which the stream ends."""

    @abc.abstractmethod
    def end(self, done_reason: str, usage: Usage) -> bytes:
        """The final message(s): why the answer ended and its token counts."""

    def line_start(self) -> bytes:
        """A content line / event up to where its text starts: what a line that never ends
        begins with."""
        marker = b"TEXT-STARTS-HERE"
        line = self.deltas("content", [marker.decode()])
        return line[: line.index(marker)]


class Dialect(abc.ABC):
    name: ClassVar[Api]
    chat_path: ClassVar[str]
    #: Fill in the middle (code completion): a prompt (and suffix) in, text out.
    fill_path: ClassVar[str]
    models_path: ClassVar[str]
    #: Headers of a streamed answer, besides the chunked transfer encoding.
    stream_headers: ClassVar[dict[str, str]]
    #: A malformed line in the stream.
    garbage: ClassVar[bytes]

    @abc.abstractmethod
    def models(self, names: Sequence[str]) -> dict[str, Any]:
        """The body of the model listing."""

    @abc.abstractmethod
    def error_body(self, message: str, status: int) -> dict[str, Any]:
        """The body of an error answered instead of a stream."""

    @abc.abstractmethod
    def unknown_model(self, model: object) -> str:
        """The error message for a model the server does not have."""

    @abc.abstractmethod
    def answer(self, request: dict[str, Any]) -> Answer:
        """The encoder for the streamed answer to this chat request."""

    @abc.abstractmethod
    def fill_answer(self, request: dict[str, Any]) -> Answer:
        """The encoder for the streamed answer to this fill request (content pieces only)."""

    def fill_refusal(self, request: dict[str, Any], models_without_fim: set[str]) -> str | None:
        """The error of a server that fills in the middle itself, for a model that cannot."""
        return None


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
