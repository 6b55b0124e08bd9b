"""Model backends: one small interface (`base`), one module per kind of model server."""

from __future__ import annotations

from typing import Literal

from .base import (
    BackendConfig,
    BackendError,
    ChatRequest,
    Delta,
    DeltaKind,
    ErrorKind,
    Finish,
    Message,
    ModelBackend,
    ModelInfo,
    StreamEvent,
    Timeouts,
    read_with_deadlines,
)
from .ollama import OllamaBackend
from .openai import OpenAIBackend

BackendKind = Literal["ollama", "openai"]

__all__ = [
    "BackendConfig",
    "BackendError",
    "BackendKind",
    "ChatRequest",
    "Delta",
    "DeltaKind",
    "ErrorKind",
    "Finish",
    "Message",
    "ModelBackend",
    "ModelInfo",
    "OllamaBackend",
    "OpenAIBackend",
    "StreamEvent",
    "Timeouts",
    "create_backend",
    "read_with_deadlines",
]


def create_backend(kind: BackendKind, config: BackendConfig) -> ModelBackend:
    """The backend for `kind` ("ollama" or "openai"), with its own connection pool."""
    if kind == "ollama":
        return OllamaBackend(config)
    if kind == "openai":
        return OpenAIBackend(config)
    raise ValueError(f"Unknown backend kind {kind!r}: expected 'ollama' or 'openai'.")
