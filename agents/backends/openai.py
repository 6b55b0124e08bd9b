"""OpenAI-compatible servers (llama.cpp, vLLM, LM Studio, Ollama's /v1, ...).

`POST {base}/chat/completions` with `stream: true` (Server-Sent Events) and `GET {base}/models`,
where base is `baseUrl` with `/v1` appended unless it already ends with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
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
    rename_options,
)
from .lines import read_lines

log = logging.getLogger(__name__)

#: How long to wait for the end of the HTTP body once `[DONE]` arrived (so the connection can
#: go back to the pool).
_DRAIN_S = 2.0
_LIST_READ_TIMEOUT_S = 30.0

#: The protocol's camelCase options this API understands, and their OpenAI names.
_OPTION_NAMES = {
    "temperature": "temperature",
    "topP": "top_p",
    "numPredict": "max_tokens",
    "seed": "seed",
    "stop": "stop",
}


def openai_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options the OpenAI API knows, under its names; the others are ignored."""
    return rename_options(options, _OPTION_NAMES)


def v1_base(base_url: str) -> str:
    base = base_url.rstrip("/")
    return base if base.endswith("/v1") else f"{base}/v1"


def _error_text(body: bytes) -> str | None:
    """The error message of an OpenAI-style error body, or None if it has none."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return _error_message(value)


def _error_message(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    error = value.get("error")
    if isinstance(error, dict):
        error = error.get("message") or json.dumps(error)
    if isinstance(error, str) and error:
        return error
    # vLLM and others: {"object": "error", "message": ...}; FastAPI: {"detail": ...}.
    for key in ("message", "detail"):
        if isinstance(value.get(key), str) and value[key]:
            return str(value[key])
    return None


class OpenAIBackend:
    """Streams chats from an OpenAI-compatible server over one pooled HTTP client."""

    display_name = "the OpenAI-compatible server"

    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self.api_base = v1_base(config.base_url)
        headers = {"Accept": "text/event-stream, application/json"}
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
            f"Cannot reach the OpenAI-compatible server at {self.base_url} — is it running? "
            "Set `ollama.baseUrl` otherwise.",
        )

    def _http_error(self, exc: httpx.HTTPError, what: str) -> BackendError:
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            return self._unreachable()
        if isinstance(exc, httpx.TimeoutException):
            return BackendError(
                "timeout",
                f"The OpenAI-compatible server at {self.base_url} timed out during {what} "
                f"({exc!r}).",
            )
        return BackendError(
            "backendError",
            f"Request to the OpenAI-compatible server at {self.base_url} failed during "
            f"{what}: {exc.__class__.__name__}: {exc or 'no details'}.",
        )

    def _status_error(self, status: int, body: bytes, model: str | None) -> BackendError:
        text = _error_text(body)
        if status == 404 and model is not None and text is not None:
            return BackendError(
                "modelNotFound",
                f"Model '{model}' is not available at {self.base_url}: check `ollama.model` "
                "(the server's /v1/models lists what it serves).",
            )
        detail = text or body.decode("utf-8", "replace").strip()[:500] or "no details"
        if status == 404:
            return BackendError(
                "backendError",
                f"The server at {self.base_url} answered HTTP 404 ({detail}) — does it serve "
                f"the OpenAI API under {self.api_base}? Check `ollama.baseUrl`.",
            )
        if status in (401, 403):
            return BackendError(
                "backendError",
                f"The OpenAI-compatible server refused the request (HTTP {status}: {detail}) "
                "— check the API key.",
            )
        return BackendError(
            "backendError", f"The OpenAI-compatible server answered HTTP {status}: {detail}"
        )

    @staticmethod
    def _dropped() -> BackendError:
        return BackendError(
            "streamDropped",
            "The model server closed the connection mid-answer (it may have crashed or been "
            "restarted). Try again; check the server's logs if it keeps happening.",
        )

    # --- chat ------------------------------------------------------------------------------

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        return {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            **openai_options(request.options),
        }

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        timeouts = self.config.timeouts
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with contextlib.AsyncExitStack() as stack:
            try:
                async with asyncio.timeout(timeouts.first_token_s):
                    response = await stack.enter_async_context(
                        self._client.stream(
                            "POST", f"{self.api_base}/chat/completions", json=self._body(request)
                        )
                    )
                    if response.status_code != 200:
                        raise self._status_error(
                            response.status_code, await response.aread(), request.model
                        )
            except TimeoutError:
                raise BackendError(
                    "timeout",
                    f"The model server sent nothing for {timeouts.first_token_s:g} s while "
                    "waiting for the first token. Raise `ollama.timeouts.firstTokenS` if the "
                    "model is just slow to load.",
                ) from None
            except httpx.HTTPError as exc:
                raise self._http_error(exc, "the request") from None

            remaining = max(timeouts.first_token_s - (loop.time() - started), 0.001)
            deadlines = attrs.evolve(timeouts, first_token_s=remaining)
            lines = read_lines(response.aiter_text(), deadlines)
            stack.push_async_callback(_aclose, lines)
            state = _StreamState()
            done = False
            events = _sse_data(lines)
            stack.push_async_callback(_aclose, events)
            try:
                async for payload in events:
                    if payload.strip() == "[DONE]":
                        done = True
                        break
                    for delta in state.feed(payload):
                        yield delta
            except httpx.TransportError:
                # A drop after the finish_reason loses nothing of the answer.
                if state.finish_reason is None:
                    raise self._dropped() from None
            except httpx.HTTPError as exc:
                raise self._http_error(exc, "the answer") from None
            if not done and state.finish_reason is None:
                raise self._dropped()
            if done:
                await _drain(lines)
        yield Finish(
            done_reason="length" if state.finish_reason == "length" else "stop",
            prompt_tokens=state.prompt_tokens,
            completion_tokens=state.completion_tokens,
        )

    # --- models ----------------------------------------------------------------------------

    async def list_models(self) -> list[ModelInfo]:
        try:
            response = await self._client.get(
                f"{self.api_base}/models",
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
            data = response.json().get("data") or []
            return [
                ModelInfo(name=str(m["id"]), modified_at=_created_iso(m.get("created")))
                for m in data
                if isinstance(m, dict) and m.get("id")
            ]
        except (ValueError, AttributeError) as exc:
            raise BackendError(
                "backendError",
                f"The server at {self.base_url} answered {self.api_base}/models with something "
                f"that is not a model list ({exc}) — check `ollama.baseUrl`.",
            ) from None

    async def aclose(self) -> None:
        await self._client.aclose()


@attrs.define
class _StreamState:
    """What the chunks of one answer told so far."""

    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    def feed(self, payload: str) -> list[Delta]:
        try:
            data = json.loads(payload)
        except ValueError:
            log.warning("The model server sent a malformed event, skipped: %.200r", payload)
            return []
        if not isinstance(data, dict):
            log.warning("The model server sent an unexpected event, skipped: %.200r", payload)
            return []
        if "error" in data:
            message = _error_message(data) or json.dumps(data["error"])
            raise BackendError("streamError", f"The model server reported an error: {message}")
        usage = data.get("usage")
        if isinstance(usage, dict):
            self.prompt_tokens = _int_or_none(usage.get("prompt_tokens"))
            self.completion_tokens = _int_or_none(usage.get("completion_tokens"))
        deltas: list[Delta] = []
        for choice in data.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            if isinstance(delta, dict):
                thinking = delta.get("reasoning_content") or delta.get("reasoning")
                if isinstance(thinking, str) and thinking:
                    deltas.append(Delta("thinking", thinking))
                content = delta.get("content")
                if isinstance(content, str) and content:
                    deltas.append(Delta("content", content))
            if choice.get("finish_reason"):
                self.finish_reason = str(choice["finish_reason"])
        return deltas


async def _sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The `data` of each Server-Sent Event (multi-line data joined with newlines)."""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue  # comment / keep-alive
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value.removeprefix(" "))
        elif field not in ("event", "id", "retry"):
            log.warning("The model server sent a malformed SSE line, skipped: %.200r", line)
    if data:
        yield "\n".join(data)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _created_iso(created: Any) -> str | None:
    if not isinstance(created, int | float) or isinstance(created, bool):
        return None
    return datetime.fromtimestamp(created, UTC).isoformat().replace("+00:00", "Z")


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
