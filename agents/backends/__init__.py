"""Model backends: one small interface (`base`), one module per kind of model server.

The HTTP ones (`ollama`, `openai`) hold only their dialect; what they share (client, deadlines,
errors, the stream loop) is `http.HTTPBackend`, and `lines` splits their streams into lines.

The backends load on first use: they bring httpx2, which the server does not need to answer
`initialize` (start-up time).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Literal, get_args

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
)

if TYPE_CHECKING:
    from .auto import AutoBackend
    from .embedded import EmbeddedBackend
    from .ollama import OllamaBackend
    from .openai import OpenAIBackend

#: Backend kind → its module and class.
_BACKENDS = {
    "auto": (".auto", "AutoBackend"),
    "embedded": (".embedded", "EmbeddedBackend"),
    "ollama": (".ollama", "OllamaBackend"),
    "openai": (".openai", "OpenAIBackend"),
}

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
]


def __getattr__(name: str) -> Any:
    """A backend class, imported when first asked for."""
    for module, class_name in _BACKENDS.values():
        if class_name == name:
            return getattr(importlib.import_module(module, __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def create_backend(kind: BackendKind, config: BackendConfig) -> ModelBackend:
    """The backend for `kind`, with its own connection pool (or in-process model)."""
    if kind not in _BACKENDS:
        raise ValueError(f"Unknown backend kind {kind!r}: expected one of {get_args(BackendKind)}.")
    module, class_name = _BACKENDS[kind]
    backend_class = getattr(importlib.import_module(module, __name__), class_name)
    backend: ModelBackend = backend_class(config)
    return backend
