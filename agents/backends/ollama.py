"""Ollama's native API: `POST /api/chat` (NDJSON stream) and `GET /api/tags`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import attrs
import httpx

from .base import (
    BackendConfig,
    BackendError,
    ChatRequest,
    Delta,
    Finish,
    ModelInfo,
    StreamEvent,
)
from .lines import read_lines

log = logging.getLogger(__name__)

#: `json.loads` less its wrapper, half the cost per line (a burst is 20,000 lines).
_decode_json = json.JSONDecoder().raw_decode

#: How long to wait for the end of the HTTP body once the final line arrived (so the
#: connection can go back to the pool).
_DRAIN_S = 2.0
_LIST_READ_TIMEOUT_S = 30.0


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def ollama_options(options: dict[str, Any]) -> dict[str, Any]:
    """The protocol's camelCase options (`numCtx`, `topP`, ...) as Ollama's snake_case ones."""
    return {_snake_case(key): value for key, value in options.items() if value is not None}


def _error_text(body: bytes) -> str:
    """The server's own error text from an error body (`{"error": "..."}` or plain text)."""
    try:
        value = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip()
    if isinstance(value, dict):
        error = value.get("error")
        if isinstance(error, dict):
            error = error.get("message")
        if isinstance(error, str) and error:
            return error
    return body.decode("utf-8", "replace").strip()


class OllamaBackend:
    """Streams chats from an Ollama server over one pooled HTTP client."""

    display_name = "Ollama"

    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        headers = {"Accept": "application/x-ndjson, application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        self._client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=config.max_connections),
            timeout=httpx.Timeout(
                connect=config.timeouts.connect_s, read=None, write=30.0, pool=None
            ),
            headers=headers,
        )

    # --- errors ----------------------------------------------------------------------------

    def _unreachable(self) -> BackendError:
        return BackendError(
            "unreachable",
            f"Cannot reach Ollama at {self.base_url} — is `ollama serve` running? "
            "Set `ollama.baseUrl` otherwise.",
        )

    def _http_error(self, exc: httpx.HTTPError, what: str) -> BackendError:
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return self._unreachable()
        if isinstance(exc, httpx.TimeoutException):
            return BackendError(
                "timeout", f"Ollama at {self.base_url} timed out during {what} ({exc!r})."
            )
        return BackendError(
            "backendError",
            f"Request to Ollama at {self.base_url} failed during {what}: "
            f"{exc.__class__.__name__}: {exc or 'no details'}.",
        )

    def _status_error(self, status: int, body: bytes, model: str | None) -> BackendError:
        text = _error_text(body)
        if status == 404 and model is not None and ("model" in text.lower() or model in text):
            return BackendError(
                "modelNotFound", f"Model '{model}' is not installed: run `ollama pull {model}`"
            )
        if status == 404:
            return BackendError(
                "backendError",
                f"Ollama at {self.base_url} answered HTTP 404 ({text or 'not found'}) — is "
                "`ollama.baseUrl` really an Ollama server?",
            )
        return BackendError(
            "backendError", f"Ollama answered HTTP {status}: {text or 'no details'}"
        )

    @staticmethod
    def _dropped() -> BackendError:
        return BackendError(
            "streamDropped",
            "The model server closed the connection mid-answer (Ollama may have crashed or "
            "been restarted). Try again; check the Ollama logs if it keeps happening.",
        )

    # --- chat ------------------------------------------------------------------------------

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
        }
        options = ollama_options(request.options)
        if options:
            body["options"] = options
        return body

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        timeouts = self.config.timeouts
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with contextlib.AsyncExitStack() as stack:
            try:
                async with asyncio.timeout(timeouts.first_token_s):
                    response = await stack.enter_async_context(
                        self._client.stream(
                            "POST", f"{self.base_url}/api/chat", json=self._body(request)
                        )
                    )
                    if response.status_code != 200:
                        raise self._status_error(
                            response.status_code, await response.aread(), request.model
                        )
            except TimeoutError:
                raise BackendError(
                    "timeout",
                    f"Ollama sent nothing for {timeouts.first_token_s:g} s while waiting for "
                    "the first token. Raise `ollama.timeouts.firstTokenS` if the model is just "
                    "slow to load.",
                ) from None
            except httpx.HTTPError as exc:
                raise self._http_error(exc, "the request") from None

            remaining = max(timeouts.first_token_s - (loop.time() - started), 0.001)
            deadlines = attrs.evolve(timeouts, first_token_s=remaining)
            lines = read_lines(response.aiter_text(), deadlines)
            stack.push_async_callback(_aclose, lines)
            finish: Finish | None = None
            try:
                async for line in lines:
                    for event in self._parse_line(line):
                        if isinstance(event, Finish):
                            finish = event
                        else:
                            yield event
                    if finish is not None:
                        break
            except httpx.TransportError:
                raise self._dropped() from None
            except httpx.HTTPError as exc:
                raise self._http_error(exc, "the answer") from None
            if finish is None:
                raise self._dropped()
            await _drain(lines)
        yield finish

    def _parse_line(self, line: str) -> list[Delta | Finish]:
        line = line.strip()
        if not line:
            return []
        try:
            data, end = _decode_json(line)
            if end != len(line):
                raise ValueError("extra data after the JSON value")
        except ValueError:
            log.warning("Ollama sent a malformed line, skipped: %.200r", line)
            return []
        if not isinstance(data, dict):
            log.warning("Ollama sent an unexpected line, skipped: %.200r", line)
            return []
        if "error" in data:
            raise BackendError("streamError", f"Ollama reported an error: {data['error']}")
        events: list[Delta | Finish] = []
        message = data.get("message")
        if isinstance(message, dict):
            # Ollama sends thinking and content on separate lines; should one line carry
            # both, the thinking comes first (it precedes the answer).
            for kind in ("thinking", "content"):
                text = message.get(kind)
                if isinstance(text, str) and text:
                    events.append(Delta(kind, text))
        if data.get("done"):
            events.append(
                Finish(
                    done_reason="length" if data.get("done_reason") == "length" else "stop",
                    prompt_tokens=_int_or_none(data.get("prompt_eval_count")),
                    completion_tokens=_int_or_none(data.get("eval_count")),
                )
            )
        return events

    # --- models ----------------------------------------------------------------------------

    async def list_models(self) -> list[ModelInfo]:
        try:
            response = await self._client.get(
                f"{self.base_url}/api/tags",
                timeout=httpx.Timeout(
                    connect=self.config.timeouts.connect_s,
                    read=_LIST_READ_TIMEOUT_S,
                    write=30.0,
                    pool=None,
                ),
            )
        except httpx.HTTPError as exc:
            raise self._http_error(exc, "listing the models") from None
        if response.status_code != 200:
            raise self._status_error(response.status_code, response.content, None)
        try:
            models = response.json().get("models") or []
            return [
                ModelInfo(
                    name=str(m.get("name") or m.get("model")),
                    size_bytes=_int_or_none(m.get("size")),
                    modified_at=m.get("modified_at"),
                )
                for m in models
                if isinstance(m, dict) and (m.get("name") or m.get("model"))
            ]
        except (ValueError, AttributeError) as exc:
            raise BackendError(
                "backendError",
                f"Ollama at {self.base_url} answered /api/tags with something that is not a "
                f"model list ({exc}) — is `ollama.baseUrl` really an Ollama server?",
            ) from None

    async def aclose(self) -> None:
        await self._client.aclose()


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


async def _aclose(iterator: AsyncIterator[str]) -> None:
    """Close an async generator at once (rather than whenever it is garbage-collected)."""
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()


async def _drain(lines: AsyncIterator[str]) -> None:
    """Read what is left of the body (the terminating chunk) so the connection is reused."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(_DRAIN_S):
            async for _ in lines:
                pass
