"""The OpenAI-compatible API: `POST /v1/chat/completions` and `POST /v1/completions` stream
server-sent events, `GET /v1/models` lists the models."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

from fake_model_server.dialect import Answer, Dialect, json_bytes
from fake_model_server.script import Kind, Usage


def _event(value: Any) -> bytes:
    return b"data: " + json_bytes(value) + b"\n\n"


class OpenAI(Dialect):
    name = "openai"
    chat_path = "/v1/chat/completions"
    fill_path = "/v1/completions"
    models_path = "/v1/models"
    stream_headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    garbage = b"data: {not json\n\n"

    def models(self, names: Sequence[str]) -> dict[str, Any]:
        data = [
            {"id": name, "object": "model", "created": 1_735_732_800, "owned_by": "library"}
            for name in names
        ]
        return {"object": "list", "data": data}

    def error_body(self, message: str, status: int) -> dict[str, Any]:
        kind = "invalid_request_error" if 400 <= status < 500 else "server_error"
        code = "model_not_found" if status == 404 else None
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    def unknown_model(self, model: object) -> str:
        return f"The model '{model}' does not exist"

    def answer(self, request: dict[str, Any]) -> Answer:
        return _OpenAIAnswer(request)

    def fill_answer(self, request: dict[str, Any]) -> Answer:
        return _CompletionAnswer(request)


class _OpenAIAnswer(Answer):
    def __init__(self, request: dict[str, Any]) -> None:
        #: The fields every chunk of the answer repeats.
        self.chunk = {
            "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": request["model"],
        }
        self.include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
        #: The first delta carries the role.
        self.role_sent = False

    def _delta(self, fields: dict[str, str], finish_reason: str | None) -> dict[str, Any]:
        delta = fields if self.role_sent else {"role": "assistant", **fields}
        self.role_sent = True
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return {**self.chunk, "choices": [choice]}

    def deltas(self, kind: Kind, texts: Sequence[str]) -> bytes:
        field = "reasoning_content" if kind == "thinking" else "content"
        return b"".join(_event(self._delta({field: text}, None)) for text in texts)

    def error(self, message: str) -> bytes:
        return _event({"error": {"message": message, "type": "server_error"}})

    def end(self, done_reason: str, usage: Usage) -> bytes:
        last = self._delta({}, done_reason)
        events = _event(last)
        if self.include_usage:
            counts = {
                "prompt_tokens": usage.prompt,
                "completion_tokens": usage.completion,
                "total_tokens": usage.prompt + usage.completion,
            }
            events += _event({**last, "choices": [], "usage": counts})
        return events + b"data: [DONE]\n\n"


class _CompletionAnswer(_OpenAIAnswer):
    """`/v1/completions`: each chunk's text in `choices[0].text`."""

    def __init__(self, request: dict[str, Any]) -> None:
        super().__init__(request)
        completion_id = f"cmpl-{uuid.uuid4().hex[:12]}"
        self.chunk = {**self.chunk, "id": completion_id, "object": "text_completion"}

    def _delta(self, fields: dict[str, str], finish_reason: str | None) -> dict[str, Any]:
        choice = {
            "text": fields.get("content", ""),
            "index": 0,
            "logprobs": None,
            "finish_reason": finish_reason,
        }
        return {**self.chunk, "choices": [choice]}
