"""Model backends: one small interface (`base`), one module per kind of model server."""

from __future__ import annotations

from typing import Literal, get_args

from .auto import AutoBackend
from .base import (
    BackendConfig,
    BackendError,
    ChatRequest,
    Delta,
    DeltaKind,
    EmbeddedConfig,
    ErrorKind,
    Finish,
    Message,
    ModelBackend,
    ModelInfo,
    StreamEvent,
    Timeouts,
    read_lines,
    read_with_deadlines,
)
from .embedded import EmbeddedBackend
from .ollama import OllamaBackend
from .openai import OpenAIBackend

BackendKind = Literal["auto", "ollama", "openai", "embedded"]

__all__ = [
    "AutoBackend",
    "BackendConfig",
    "BackendError",
    "BackendKind",
    "ChatRequest",
    "Delta",
    "DeltaKind",
    "EmbeddedBackend",
    "EmbeddedConfig",
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
    "read_lines",
    "read_with_deadlines",
]


def create_backend(kind: BackendKind, config: BackendConfig) -> ModelBackend:
    """The backend for `kind`, with its own connection pool (or in-process model)."""
    if kind == "auto":
        return AutoBackend(config)
    if kind == "embedded":
        return EmbeddedBackend(config)
    if kind == "ollama":
        return OllamaBackend(config)
    if kind == "openai":
        return OpenAIBackend(config)
    raise ValueError(f"Unknown backend kind {kind!r}: expected one of {get_args(BackendKind)}.")
