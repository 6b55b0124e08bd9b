"""Ollama's native API: `POST /api/chat` and `POST /api/generate` stream NDJSON, `GET
/api/tags` lists the models."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from fake_model_server.dialect import Answer, Dialect, json_bytes, now_iso
from fake_model_server.script import Kind, Usage

_json_string = json.JSONEncoder(ensure_ascii=False).encode


def delta_line(model: str, created_at: str, kind: Kind, text: str) -> bytes:
    """One thinking / content line: the bytes `json_bytes` gives for {"model", "created_at",
    "message": {"role", "content"[, "thinking"]}, "done": false}, from a template (0.7 µs
    instead of 7), so that a burst is not limited by this server."""
    quoted = _json_string(text)
    message = f'"content":"","thinking":{quoted}' if kind == "thinking" else f'"content":{quoted}'
    return (
        f'{{"model":{_json_string(model)},"created_at":"{created_at}",'
        f'"message":{{"role":"assistant",{message}}},"done":false}}\n'
    ).encode()


class Ollama(Dialect):
    name = "ollama"
    chat_path = "/api/chat"
    fill_path = "/api/generate"
    models_path = "/api/tags"
    stream_headers = {"Content-Type": "application/x-ndjson"}
    garbage = b"this is not json {\n"

    def models(self, names: Sequence[str]) -> dict[str, Any]:
        models = []
        for index, name in enumerate(names):
            model = name if ":" in name else f"{name}:latest"
            models.append(
                {
                    "name": model,
                    "model": model,
                    "modified_at": f"2025-01-0{index % 9 + 1}T12:00:00.000000000Z",
                    "size": 100_000_000 * (index + 1),
                    "digest": hashlib.sha256(model.encode()).hexdigest(),
                    "details": {
                        "parent_model": "",
                        "format": "gguf",
                        "family": "llama",
                        "families": ["llama"],
                        "parameter_size": "1.7B",
                        "quantization_level": "Q8_0",
                    },
                }
            )
        return {"models": models}

    def error_body(self, message: str, status: int) -> dict[str, Any]:
        return {"error": message}

    def unknown_model(self, model: object) -> str:
        return f"model '{model}' not found"

    def answer(self, request: dict[str, Any]) -> Answer:
        return _OllamaAnswer(request["model"])

    def fill_answer(self, request: dict[str, Any]) -> Answer:
        return _GenerateAnswer(request["model"])

    def fill_refusal(self, request: dict[str, Any], models_without_fim: set[str]) -> str | None:
        model = request["model"]
        if request.get("suffix") and model.removesuffix(":latest") in models_without_fim:
            return f"registry.ollama.ai/library/{model} does not support insert"
        return None


class _OllamaAnswer(Answer):
    def __init__(self, model: str) -> None:
        self.model = model

    def deltas(self, kind: Kind, texts: Sequence[str]) -> bytes:
        created_at = now_iso()  # one clock reading per write
        return b"".join(delta_line(self.model, created_at, kind, text) for text in texts)

    def error(self, message: str) -> bytes:
        return json_bytes({"error": message}) + b"\n"

    def end(self, done_reason: str, usage: Usage) -> bytes:
        final = {
            "model": self.model,
            "created_at": now_iso(),
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": done_reason,
            "total_duration": 1_234_567_890,
            "load_duration": 12_345_678,
            "prompt_eval_count": usage.prompt,
            "prompt_eval_duration": 23_456_789,
            "eval_count": usage.completion,
            "eval_duration": 987_654_321,
        }
        return json_bytes(final) + b"\n"


class _GenerateAnswer(_OllamaAnswer):
    """`/api/generate`: the text in `response`; the end also carries the `context` tokens."""

    def deltas(self, kind: Kind, texts: Sequence[str]) -> bytes:
        created_at = now_iso()
        return b"".join(
            json_bytes(
                {"model": self.model, "created_at": created_at, "response": text, "done": False}
            )
            + b"\n"
            for text in texts
        )

    def end(self, done_reason: str, usage: Usage) -> bytes:
        final = json.loads(super().end(done_reason, usage))
        del final["message"]
        final = {**final, "response": "", "context": [151644, 8948, 198]}
        return json_bytes(final) + b"\n"
