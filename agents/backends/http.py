"""What the HTTP backends share: one pooled client, the deadlines, the errors, the stream loop.

A backend on top of `HTTPBackend` holds only its dialect (see `ollama.py`, `openai.py`): its
paths, its request body, an `AnswerParser` for its stream's lines, its model list, and the
messages that name its server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Protocol

import httpx2

from .base import (
    BackendConfig,
    BackendError,
    ChatRequest,
    Delta,
    FillRequest,
    Finish,
    ModelInfo,
    StreamEvent,
)
from .lines import LineTooLong, ProgressDeadline, read_lines

#: How long to wait for the end of the body once the answer is complete (so the connection
#: can go back to the pool).
_DRAIN_S = 2.0
_LIST_TIMEOUT_S = 30.0
_WRITE_TIMEOUT_S = 30.0
#: How much of an error body is read, and how much of it a message quotes.
_ERROR_BODY_BYTES = 64 * 1024
_DETAIL_CHARS = 300
_SAMPLE_CHARS = 80
#: Credentials a body may carry besides the configured key: `Bearer <token>` (8 characters
#: or more, with a digit or punctuation: not the words of "missing bearer token"), `sk-` keys.
_CREDENTIAL = re.compile(r"(?i)(bearer\s+)(?=[\w.~+/=-]*[\d.~+/=-])[\w.~+/=-]{8,}|\bsk-[\w-]{6,}")
_REDACTED = "<redacted>"
#: The environment variable the server takes the API key from (server/config.py reads it: the
#: backends do not read the environment, they only name it in their advice).
API_KEY_VARIABLE = "OLLAMA_LSP_API_KEY"


class NotAnAnswer(ValueError):
    """The body does not start as the API's stream does: something else answered."""

    def __init__(self, line: str) -> None:
        super().__init__("not a streamed answer")
        #: The first line that is not the stream's.
        self.line = line


class ReportedError(Exception):
    """The model server reported an error in the stream (its message, as sent)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class AnswerParser(Protocol):
    """One streamed answer, read line by line in a server's dialect."""

    #: The stream's end marker arrived: the rest of the body is only drained.
    complete: bool

    def parse_line(self, line: str) -> list[Delta]:
        """The deltas one line carries; `ReportedError` if it reports an error, `NotAnAnswer`
        if the body does not start as the stream does, `LineTooLong` for an endless event."""
        ...

    def end_of_body(self) -> list[Delta]:
        """The body ended (without the end marker): the deltas still held back, if any."""
        ...

    def finish(self) -> Finish | None:
        """How the answer finished, or None if the stream stopped before it was whole."""
        ...


class HTTPBackend(ABC):
    """Streams chats from a model server over one pooled HTTP client."""

    #: The server in messages ("Ollama", "the OpenAI-compatible server").
    display_name: str
    #: Model servers answer with the model a request names.
    fixed_model: str | None = None
    #: The question after "Cannot reach <server> at <url> —".
    running_hint: str
    #: Who stayed silent, in the message of the first-token deadline.
    silent_server: str
    #: What to say when the connection drops mid-answer.
    dropped_message: str
    #: What the stream is, in "answered with text/html, not <stream_format>".
    stream_format: str
    #: What to check when something else answered at the base URL.
    wrong_server_hint: str
    #: The media types of the stream and of the errors.
    accept: str
    #: The paths of the chat stream, of the fill-in-the-middle stream and of the model list,
    #: under `api_base`.
    chat_path: str
    fill_path: str
    models_path: str

    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        #: Where the API's paths start.
        self.api_base = self.base_url
        headers = {"Accept": self.accept}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        timeouts = config.timeouts
        # No read timeout on streams: `ProgressDeadline` applies the first-token and idle
        # deadlines. A full pool is waited for as long as a first token: the answers that hold
        # the connections are what the model server is busy with, as a server with one slot
        # makes a request queue for the model (Ollama does), which `firstTokenS` bounds too.
        # The connect timeout would fail a burst of chats that merely queue.
        self._client = httpx2.AsyncClient(
            limits=httpx2.Limits(max_connections=config.max_connections),
            timeout=httpx2.Timeout(
                connect=timeouts.connect_s,
                read=None,
                write=_WRITE_TIMEOUT_S,
                pool=timeouts.first_token_s,
            ),
            headers=headers,
        )
        self._list_timeout = httpx2.Timeout(
            connect=timeouts.connect_s,
            read=_LIST_TIMEOUT_S,
            write=_WRITE_TIMEOUT_S,
            pool=_LIST_TIMEOUT_S,
        )

    # --- the dialect -----------------------------------------------------------------------

    @abstractmethod
    def _extra_body(self, request: ChatRequest) -> dict[str, Any]:
        """The request body besides the model, the messages and `stream`: the generation
        options under this API's names, and whatever else the API wants."""

    @abstractmethod
    def _fill_body(self, request: FillRequest) -> dict[str, Any]:
        """The whole request body of a fill-in-the-middle stream (`BackendError` if this model
        cannot fill in the middle)."""

    @abstractmethod
    def _parser(self) -> AnswerParser:
        """A parser for one answer (a chat's or a fill's: their streams differ only in the
        field that carries the text)."""

    @abstractmethod
    def _models(self, listing: Any) -> list[ModelInfo]:
        """The models in the decoded JSON of the model list (ValueError, AttributeError if it
        is not one)."""

    @abstractmethod
    def _not_a_model_list(self, exc: Exception) -> BackendError: ...

    def _status_error(self, status: int, body: bytes, model: str | None) -> BackendError:
        """An HTTP error status (`model`: the one asked for, if any). Dialects handle the
        statuses they can explain first."""
        detail = self._detail(body) or "no details"
        server = f"{_capitalized(self.display_name)} at {self.base_url}"
        if status in (401, 403):
            # Keys are a gateway's business more often than a model server's (Ollama has none).
            server = f"{_capitalized(self.display_name)} or the gateway at {self.base_url}"
            refused = f"HTTP {status}: {detail}"
            return BackendError(
                "unauthorized",
                f"{server} refused the API key ({refused}) — check the key: `ollama.apiKey`, "
                f"or {API_KEY_VARIABLE} in the server's environment (it wins)."
                if self.config.api_key
                else f"{server} wants an API key ({refused}): set `ollama.apiKey` or "
                f"{API_KEY_VARIABLE} in the server's environment.",
            )
        return BackendError(
            "backendError", f"{_capitalized(self.display_name)} answered HTTP {status}: {detail}"
        )

    # --- errors ----------------------------------------------------------------------------

    def _redacted(self, text: str) -> str:
        """`text` from the server without the configured key, `Bearer` tokens and `sk-` keys
        (a server may echo the request's Authorization header)."""
        key = self.config.api_key
        if key and len(key) >= 4:
            text = text.replace(key, _REDACTED)
        return _CREDENTIAL.sub(lambda m: (m.group(1) or "") + _REDACTED, text)

    def _detail(self, body: bytes) -> str:
        """An error body's message (or its text), redacted and short; "" if it has none."""
        text = error_text(body) or body.decode("utf-8", "replace")
        return _shortened(self._redacted(text), _DETAIL_CHARS)

    def _sample(self, text: str) -> str:
        """How a body begins, quoted for a message: redacted, on one line, short."""
        return f'"{_shortened(self._redacted(text), _SAMPLE_CHARS)}"'

    def _unreachable(self) -> BackendError:
        return BackendError(
            "unreachable",
            f"Cannot reach {self.display_name} at {self.base_url} — {self.running_hint} "
            "Set `ollama.baseUrl` otherwise.",
        )

    def _http_error(self, exc: httpx2.HTTPError, what: str) -> BackendError:
        if isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout):
            return self._unreachable()
        if isinstance(exc, httpx2.PoolTimeout):
            in_use = self.config.max_connections
            return BackendError(
                "poolTimeout",
                f"Gave up waiting for a free connection: {in_use} in use, see "
                "`ollama.limits.maxConnections` (an answer holds one while it streams).",
            )
        server = f"{self.display_name} at {self.base_url}"
        if isinstance(exc, httpx2.TimeoutException):
            return BackendError(
                "timeout", f"{_capitalized(server)} timed out during {what} ({exc!r})."
            )
        return BackendError(
            "backendError",
            f"Request to {server} failed during {what}: "
            f"{exc.__class__.__name__}: {exc or 'no details'}.",
        )

    # --- chat ------------------------------------------------------------------------------

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        return self._stream(self.chat_path, self._body(request), request.model)

    def stream_fill(self, request: FillRequest) -> AsyncIterator[StreamEvent]:
        return self._stream(self.fill_path, self._fill_body(request), request.model)

    async def _stream(
        self, path: str, body: dict[str, Any], model: str
    ) -> AsyncIterator[StreamEvent]:
        """POST `body` to `path` and read the answer's stream in this dialect."""
        deadline = ProgressDeadline(self.config.timeouts, self.silent_server)
        async with contextlib.AsyncExitStack() as stack:
            response = await self._open_stream(stack, path, body, model, deadline)
            lines = read_lines(response.aiter_text(), deadline)
            stack.push_async_callback(lines.aclose)
            parser = self._parser()
            try:
                async for line in lines:
                    deltas = parser.parse_line(line)
                    if deltas:
                        deadline.token()
                        for delta in deltas:
                            yield delta
                    if parser.complete:
                        break
                else:
                    for delta in parser.end_of_body():
                        yield delta
            except httpx2.TransportError:
                pass  # a drop: `finish()` tells whether the answer was whole
            except httpx2.HTTPError as exc:
                raise self._http_error(exc, "the answer") from None
            except ReportedError as exc:
                raise BackendError(
                    "streamError",
                    f"{self.silent_server} reported an error: {self._redacted(exc.text)}",
                ) from None
            except NotAnAnswer as exc:
                raise self._not_an_answer(response, exc.line) from None
            except LineTooLong as exc:
                raise BackendError(
                    "streamError",
                    f"Stopped reading the answer: {self.silent_server} sent {exc} "
                    f"({_content_type(response)}, starting {self._sample(exc.start)}); a "
                    f"streamed answer's lines are short. {_capitalized(self.wrong_server_hint)}",
                ) from None
            finish = parser.finish()
            if finish is None:
                raise BackendError("streamDropped", self.dropped_message)
            if parser.complete:
                await _drain(lines)
        yield finish

    def _not_an_answer(self, response: httpx2.Response, line: str) -> BackendError:
        return BackendError(
            "notAModelServer",
            f"The server at {self.base_url} answered with {_content_type(response)}, not "
            f"{self.stream_format}: {self._sample(line)} — {self.wrong_server_hint}",
        )

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        return {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
            **self._extra_body(request),
        }

    async def _open_stream(
        self,
        stack: contextlib.AsyncExitStack,
        path: str,
        body: dict[str, Any],
        model: str,
        deadline: ProgressDeadline,
    ) -> httpx2.Response:
        """The answer's response, its headers in and its status 200.

        Waiting for a free connection and connecting have their own deadlines (httpx2's pool
        and connect timeouts); the first-token deadline starts when the request goes out and
        covers the headers (Ollama sends none before the model is loaded).
        """
        try:
            async with asyncio.timeout(None) as headers_deadline:

                async def sent(event: str, info: dict[str, Any]) -> None:
                    if event.endswith("send_request_headers.started"):
                        deadline.start()
                        headers_deadline.reschedule(deadline.due)

                response = await stack.enter_async_context(
                    self._client.stream(
                        "POST", self.api_base + path, json=body, extensions={"trace": sent}
                    )
                )
                if response.status_code != 200:
                    raise self._status_error(
                        response.status_code, await _error_body(response), model
                    )
        except TimeoutError:
            raise deadline.expired() from None
        except httpx2.HTTPError as exc:
            raise self._http_error(exc, "the request") from None
        return response

    # --- models ----------------------------------------------------------------------------

    async def list_models(self) -> list[ModelInfo]:
        try:
            response = await self._client.get(
                self.api_base + self.models_path, timeout=self._list_timeout
            )
        except httpx2.HTTPError as exc:
            raise self._http_error(exc, "listing the models") from None
        if response.status_code != 200:
            raise self._status_error(response.status_code, response.content, None)
        try:
            return self._models(response.json())
        except (ValueError, AttributeError) as exc:
            raise self._not_a_model_list(exc) from None

    async def aclose(self) -> None:
        await self._client.aclose()


def error_text(body: bytes) -> str | None:
    """The message of a JSON error body, or None if it has none."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return error_message(value)


def error_message(value: Any) -> str | None:
    """The message of a decoded error: `{"error": "..."}` (Ollama), `{"error": {"message":
    ...}}` (OpenAI), `{"message": ...}` (vLLM and others), `{"detail": ...}` (FastAPI)."""
    if not isinstance(value, dict):
        return None
    error = value.get("error")
    if isinstance(error, dict):
        error = error.get("message") or json.dumps(error)
    if isinstance(error, str) and error:
        return error
    for key in ("message", "detail"):
        if isinstance(value.get(key), str) and value[key]:
            return str(value[key])
    return None


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _shortened(text: str, limit: int) -> str:
    """`text` on one line, without control characters, cut at `limit` characters."""
    text = " ".join("".join(c if c.isprintable() else " " for c in text[: limit * 4]).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _content_type(response: httpx2.Response) -> str:
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    return media_type or "no content type"


async def _error_body(response: httpx2.Response) -> bytes:
    """The start of an error body (enough for its message; a huge one is not read whole)."""
    body = b""
    async for piece in response.aiter_bytes():
        body += piece
        if len(body) >= _ERROR_BODY_BYTES:
            break
    return body[:_ERROR_BODY_BYTES]


def _capitalized(name: str) -> str:
    """`name` starting a sentence ("the OpenAI-compatible server" → "The OpenAI-…")."""
    return name[:1].upper() + name[1:]


async def _drain(lines: AsyncGenerator[str, None]) -> None:
    """Read what is left of the body (the terminating chunk) so the connection is reused."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(_DRAIN_S):
            async for _ in lines:
                pass
