"""Ollama's native API: `POST /api/chat` and `POST /api/generate` (NDJSON streams) and
`GET /api/tags`."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import attrs

from .base import BackendError, ChatRequest, Delta, FillRequest, Finish, ModelInfo
from .http import HTTPBackend, NotAnAnswer, ReportedError, error_message, int_or_none

log = logging.getLogger(__name__)

#: `json.loads` less its wrapper, half the cost per line (a burst is 20,000 lines).
_decode_json = json.JSONDecoder().raw_decode


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def ollama_options(options: dict[str, Any]) -> dict[str, Any]:
    """The protocol's camelCase options (`numCtx`, `topP`, ...) as Ollama's snake_case ones."""
    return {_snake_case(key): value for key, value in options.items() if value is not None}


class OllamaBackend(HTTPBackend):
    """Streams chats from an Ollama server over one pooled HTTP client."""

    display_name = "Ollama"
    running_hint = "is `ollama serve` running?"
    silent_server = "Ollama"
    dropped_message = (
        "The model server closed the connection mid-answer (Ollama may have crashed or "
        "been restarted). Try again; check the Ollama logs if it keeps happening."
    )
    stream_format = "Ollama's NDJSON stream"
    wrong_server_hint = "is `ollama.baseUrl` really an Ollama server?"
    accept = "application/x-ndjson, application/json"
    chat_path = "/api/chat"
    fill_path = "/api/generate"
    models_path = "/api/tags"

    def _extra_body(self, request: ChatRequest) -> dict[str, Any]:
        options = ollama_options(request.options)
        return {"options": options} if options else {}

    def _fill_body(self, request: FillRequest) -> dict[str, Any]:
        """Ollama wraps prefix and suffix in the model's own FIM template; without a suffix
        the prefix goes raw (no chat template), so any model continues it."""
        body: dict[str, Any] = {
            "model": request.model,
            "prompt": request.prefix,
            "stream": True,
            "options": {"num_predict": request.max_tokens, "temperature": 0},
        }
        if request.suffix:
            body["suffix"] = request.suffix
        else:
            body["raw"] = True
        if request.keep_alive:
            body["keep_alive"] = request.keep_alive
        return body

    def _parser(self) -> _NDJSONAnswer:
        return _NDJSONAnswer()

    def _status_error(self, status: int, body: bytes, model: str | None) -> BackendError:
        text = self._detail(body)
        if status == 400 and model is not None and "does not support insert" in text:
            return BackendError(
                "fimUnsupported",
                f"Model '{model}' cannot fill in the middle (Ollama: {text}). Choose a code "
                "model with fill-in-the-middle for `ollama.completion.model`, e.g. "
                "`ollama pull qwen2.5-coder:1.5b-base`.",
            )
        if status == 404 and model is not None and ("model" in text.lower() or model in text):
            return BackendError(
                "modelNotFound", f"Model '{model}' is not installed: run `ollama pull {model}`"
            )
        if status == 404:
            return BackendError(
                "backendError",
                f"Ollama at {self.base_url} answered HTTP 404 ({text or 'not found'}) — "
                f"{self.wrong_server_hint}",
            )
        return super()._status_error(status, body, model)

    def _models(self, listing: Any) -> list[ModelInfo]:
        return [
            ModelInfo(
                name=str(m.get("name") or m.get("model")),
                size_bytes=int_or_none(m.get("size")),
                modified_at=m.get("modified_at"),
            )
            for m in listing.get("models") or []
            if isinstance(m, dict) and (m.get("name") or m.get("model"))
        ]

    def _not_a_model_list(self, exc: Exception) -> BackendError:
        return BackendError(
            "backendError",
            f"Ollama at {self.base_url} answered {self.models_path} with something that is not a "
            f"model list ({exc}) — {self.wrong_server_hint}",
        )


@attrs.define
class _NDJSONAnswer:
    """An answer as Ollama streams it: one JSON object per line (the text in `message` for a
    chat, in `response` for a generation), the last with `done`."""

    complete: bool = False
    _finish: Finish | None = None
    #: A line was a JSON object: the body is Ollama's stream, a bad line later is skipped.
    _started: bool = False

    def parse_line(self, line: str) -> list[Delta]:
        line = line.strip()
        if not line:
            return []
        try:
            data, end = _decode_json(line)
            if end != len(line):
                raise ValueError("extra data after the JSON value")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            if not self._started:
                raise NotAnAnswer(line)
            log.warning("Ollama sent a malformed line, skipped: %.200r", line)
            return []
        self._started = True
        if "error" in data:
            raise ReportedError(error_message(data) or json.dumps(data["error"]))
        deltas: list[Delta] = []
        message = data.get("message")
        if isinstance(message, dict):
            # Ollama sends thinking and content on separate lines; should one line carry
            # both, the thinking comes first (it precedes the answer).
            for kind in ("thinking", "content"):
                text = message.get(kind)
                if isinstance(text, str) and text:
                    deltas.append(Delta(kind, text))
        response = data.get("response")  # /api/generate
        if isinstance(response, str) and response:
            deltas.append(Delta("content", response))
        if data.get("done"):
            self.complete = True
            self._finish = Finish(
                done_reason="length" if data.get("done_reason") == "length" else "stop",
                prompt_tokens=int_or_none(data.get("prompt_eval_count")),
                completion_tokens=int_or_none(data.get("eval_count")),
            )
        return deltas

    def end_of_body(self) -> list[Delta]:
        return []

    def finish(self) -> Finish | None:
        return self._finish
