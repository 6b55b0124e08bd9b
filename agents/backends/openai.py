"""OpenAI-compatible servers (llama.cpp, vLLM, LM Studio, Ollama's /v1, ...).

`POST {base}/chat/completions` and `POST {base}/completions` (fill in the middle, the prompt built
from a FIM template) with `stream: true` (Server-Sent Events) and `GET {base}/models`, where base
is `baseUrl` with `/v1` appended unless it already ends with it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import attrs

from ..fim import UnknownTemplate, template_for
from .base import (
    BackendConfig,
    BackendError,
    ChatRequest,
    Delta,
    FillRequest,
    Finish,
    ModelInfo,
    rename_options,
)
from .http import HTTPBackend, NotAnAnswer, ReportedError, error_message, error_text, int_or_none
from .lines import MAX_LINE_CHARS, LineTooLong

log = logging.getLogger(__name__)

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


class OpenAIBackend(HTTPBackend):
    """Streams chats from an OpenAI-compatible server over one pooled HTTP client."""

    display_name = "the OpenAI-compatible server"
    running_hint = "is it running?"
    silent_server = "The model server"
    dropped_message = (
        "The model server closed the connection mid-answer (it may have crashed or been "
        "restarted). Try again; check the server's logs if it keeps happening."
    )
    stream_format = "an event stream (text/event-stream)"
    wrong_server_hint = "does `ollama.baseUrl` point at an OpenAI-compatible server?"
    accept = "text/event-stream, application/json"
    chat_path = "/chat/completions"
    fill_path = "/completions"
    models_path = "/models"

    def __init__(self, config: BackendConfig) -> None:
        super().__init__(config)
        self.api_base = v1_base(config.base_url)

    def _extra_body(self, request: ChatRequest) -> dict[str, Any]:
        return {"stream_options": {"include_usage": True}, **openai_options(request.options)}

    def _fill_body(self, request: FillRequest) -> dict[str, Any]:
        try:
            template = template_for(request.model, request.fim_template)
        except UnknownTemplate as error:
            raise BackendError("fimUnsupported", str(error)) from None
        body: dict[str, Any] = {
            "model": request.model,
            "prompt": template.prompt(request.prefix, request.suffix),
            "max_tokens": request.max_tokens,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if template.stop:
            body["stop"] = list(template.stop[:4])  # OpenAI's API takes four at most
        return body

    def _parser(self) -> _StreamState:
        return _StreamState()

    def _status_error(self, status: int, body: bytes, model: str | None) -> BackendError:
        text = error_text(body)
        if status == 404 and model is not None and text is not None:
            return BackendError(
                "modelNotFound",
                f"Model '{model}' is not available at {self.base_url}: check `ollama.model` "
                "(the server's /v1/models lists what it serves).",
            )
        if status == 404:
            return BackendError(
                "backendError",
                f"The server at {self.base_url} answered HTTP 404 "
                f"({self._detail(body) or 'no details'}) — does it serve the OpenAI API under "
                f"{self.api_base}? Check `ollama.baseUrl`.",
            )
        return super()._status_error(status, body, model)

    def _models(self, listing: Any) -> list[ModelInfo]:
        return [
            ModelInfo(name=str(m["id"]), modified_at=_created_iso(m.get("created")))
            for m in listing.get("data") or []
            if isinstance(m, dict) and m.get("id")
        ]

    def _not_a_model_list(self, exc: Exception) -> BackendError:
        return BackendError(
            "backendError",
            f"The server at {self.base_url} answered {self.api_base}{self.models_path} with "
            f"something that is not a model list ({exc}) — check `ollama.baseUrl`.",
        )


@attrs.define
class _StreamState:
    """An answer as Server-Sent Events: each event's data a JSON chunk (the text in
    `choices[0].delta` for a chat, in `choices[0].text` for a completion), then `[DONE]`; or,
    from a server that does not stream, one JSON body (a whole answer, or an error)."""

    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    #: `[DONE]` arrived.
    complete: bool = False
    #: The data lines of the event being read (or the lines of a JSON body).
    _data: list[str] = attrs.Factory(list)
    _data_chars: int = 0
    #: What the body turned out to be, once a line told: "events" or "json".
    _body: str | None = None

    def parse_line(self, line: str) -> list[Delta]:
        """One line of the event stream: a field, or the blank line that ends an event."""
        if self._body is None and line.strip():
            self._body = self._kind_of_body(line)
        if self._body == "json":
            self._add_data(line)
            return []
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return []  # comment / keep-alive
        field, _, value = line.partition(":")
        if field == "data":
            self._add_data(value.removeprefix(" "))
        elif field not in ("event", "id", "retry"):
            log.warning("The model server sent a malformed SSE line, skipped: %.200r", line)
        return []

    @staticmethod
    def _kind_of_body(first_line: str) -> str:
        """What the body's first non-blank line says it is (`NotAnAnswer` if neither)."""
        if first_line.lstrip().startswith("{"):
            return "json"
        field = first_line.partition(":")[0]
        if first_line.startswith(":") or field in ("data", "event", "id", "retry"):
            return "events"
        raise NotAnAnswer(first_line)

    def _add_data(self, data: str) -> None:
        self._data.append(data)
        self._data_chars += len(data)
        if self._data_chars > MAX_LINE_CHARS:
            raise LineTooLong(self._data[0][:200])

    def end_of_body(self) -> list[Delta]:
        """The end of the body also ends the event being read."""
        return self._dispatch()

    def _dispatch(self) -> list[Delta]:
        """The event read so far is whole (multi-line data joined with newlines)."""
        if not self._data:
            return []
        payload = "\n".join(self._data)
        self._data.clear()
        self._data_chars = 0
        if payload.strip() == "[DONE]":
            self.complete = True
            return []
        return self.feed(payload)

    def feed(self, payload: str) -> list[Delta]:
        """The deltas of one chunk (the JSON data of one event)."""
        try:
            data = json.loads(payload)
        except ValueError:
            log.warning("The model server sent a malformed event, skipped: %.200r", payload)
            return []
        if not isinstance(data, dict):
            log.warning("The model server sent an unexpected event, skipped: %.200r", payload)
            return []
        if "error" in data:
            raise ReportedError(error_message(data) or json.dumps(data["error"]))
        usage = data.get("usage")
        if isinstance(usage, dict):
            self.prompt_tokens = int_or_none(usage.get("prompt_tokens"))
            self.completion_tokens = int_or_none(usage.get("completion_tokens"))
        deltas: list[Delta] = []
        for choice in data.get("choices") or []:
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            text = choice.get("text")  # /completions
            if isinstance(text, str) and text:
                deltas.append(Delta("content", text))
            # A stream's chunk has a `delta`, a whole answer a `message`.
            delta = choice.get("delta") or choice.get("message") or {}
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

    def finish(self) -> Finish | None:
        """After `[DONE]`, or after a finish reason: a drop after it loses nothing."""
        if not self.complete and self.finish_reason is None:
            return None
        return Finish(
            done_reason="length" if self.finish_reason == "length" else "stop",
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
        )


def _created_iso(created: Any) -> str | None:
    if not isinstance(created, int | float) or isinstance(created, bool):
        return None
    return datetime.fromtimestamp(created, UTC).isoformat().replace("+00:00", "Z")
