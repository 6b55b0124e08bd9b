"""What the HTTP backends share: one pooled client, the deadlines, the errors, the stream loop.

A backend on top of `HTTPBackend` holds only its dialect (see `ollama.py`, `openai.py`): its
paths, its request body, an `AnswerParser` for its stream's lines, its model list, and the
messages that name its server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, Protocol

import attrs
import httpx2

from .base import BackendConfig, BackendError, ChatRequest, Delta, Finish, ModelInfo, StreamEvent
from .lines import read_lines

#: How long to wait for the end of the body once the answer is complete (so the connection
#: can go back to the pool).
_DRAIN_S = 2.0
_LIST_READ_TIMEOUT_S = 30.0
_WRITE_TIMEOUT_S = 30.0


class AnswerParser(Protocol):
    """One streamed answer, read line by line in a server's dialect."""

    #: The stream's end marker arrived: the rest of the body is only drained.
    complete: bool

    def parse_line(self, line: str) -> list[Delta]:
        """The deltas one line carries; `BackendError("streamError")` if it reports an error."""
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
    #: The question after "Cannot reach <server> at <url> —".
    running_hint: str
    #: Who stayed silent, in the message of the first-token deadline.
    silent_server: str
    #: What to say when the connection drops mid-answer.
    dropped_message: str
    #: The media types of the stream and of the errors.
    accept: str
    #: The paths of the chat stream and of the model list, under `api_base`.
    chat_path: str
    models_path: str

    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        #: Where the API's paths start.
        self.api_base = self.base_url
        headers = {"Accept": self.accept}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        connect_s = config.timeouts.connect_s
        # No read timeout on streams: `read_lines` applies the first-token and idle deadlines.
        self._client = httpx2.AsyncClient(
            limits=httpx2.Limits(max_connections=config.max_connections),
            timeout=httpx2.Timeout(connect=connect_s, read=None, write=_WRITE_TIMEOUT_S, pool=None),
            headers=headers,
        )
        self._list_timeout = httpx2.Timeout(
            connect=connect_s, read=_LIST_READ_TIMEOUT_S, write=_WRITE_TIMEOUT_S, pool=None
        )

    # --- the dialect -----------------------------------------------------------------------

    @abstractmethod
    def _extra_body(self, request: ChatRequest) -> dict[str, Any]:
        """The request body besides the model, the messages and `stream`: the generation
        options under this API's names, and whatever else the API wants."""

    @abstractmethod
    def _parser(self) -> AnswerParser:
        """A parser for one answer."""

    @abstractmethod
    def _models(self, listing: Any) -> list[ModelInfo]:
        """The models in the decoded JSON of the model list (ValueError, AttributeError if it
        is not one)."""

    @abstractmethod
    def _not_a_model_list(self, exc: Exception) -> BackendError: ...

    def _status_error(self, status: int, body: bytes, model: str | None) -> BackendError:
        """An HTTP error status (`model`: the one asked for, if any). Dialects handle the
        statuses they can explain first."""
        detail = error_text(body) or body.decode("utf-8", "replace").strip()[:500] or "no details"
        return BackendError(
            "backendError", f"{_capitalized(self.display_name)} answered HTTP {status}: {detail}"
        )

    # --- errors ----------------------------------------------------------------------------

    def _unreachable(self) -> BackendError:
        return BackendError(
            "unreachable",
            f"Cannot reach {self.display_name} at {self.base_url} — {self.running_hint} "
            "Set `ollama.baseUrl` otherwise.",
        )

    def _http_error(self, exc: httpx2.HTTPError, what: str) -> BackendError:
        if isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout):
            return self._unreachable()
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

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        timeouts = self.config.timeouts
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with contextlib.AsyncExitStack() as stack:
            response = await self._open_stream(stack, request)
            # The headers and the first line share the first-token deadline.
            remaining = max(timeouts.first_token_s - (loop.time() - started), 0.001)
            deadlines = attrs.evolve(timeouts, first_token_s=remaining)
            lines = read_lines(response.aiter_text(), deadlines)
            stack.push_async_callback(lines.aclose)
            parser = self._parser()
            try:
                async for line in lines:
                    for delta in parser.parse_line(line):
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
            finish = parser.finish()
            if finish is None:
                raise BackendError("streamDropped", self.dropped_message)
            if parser.complete:
                await _drain(lines)
        yield finish

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        return {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
            **self._extra_body(request),
        }

    async def _open_stream(
        self, stack: contextlib.AsyncExitStack, request: ChatRequest
    ) -> httpx2.Response:
        """The answer's response, its headers in and its status 200 (the first-token deadline
        covers them: Ollama sends no headers before the model is loaded)."""
        first_token_s = self.config.timeouts.first_token_s
        try:
            async with asyncio.timeout(first_token_s):
                response = await stack.enter_async_context(
                    self._client.stream(
                        "POST", self.api_base + self.chat_path, json=self._body(request)
                    )
                )
                if response.status_code != 200:
                    raise self._status_error(
                        response.status_code, await response.aread(), request.model
                    )
        except TimeoutError:
            raise BackendError(
                "timeout",
                f"{self.silent_server} sent nothing for {first_token_s:g} s while waiting for "
                "the first token. Raise `ollama.timeouts.firstTokenS` if the model is just "
                "slow to load.",
            ) from None
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


def _capitalized(name: str) -> str:
    """`name` starting a sentence ("the OpenAI-compatible server" → "The OpenAI-…")."""
    return name[:1].upper() + name[1:]


async def _drain(lines: AsyncGenerator[str, None]) -> None:
    """Read what is left of the body (the terminating chunk) so the connection is reused."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(_DRAIN_S):
            async for _ in lines:
                pass
