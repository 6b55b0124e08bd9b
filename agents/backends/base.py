"""The one small interface every model backend implements.

A backend turns a chat request into an async stream of `Delta`s that ends with one `Finish`.
Cancelling the task that iterates the stream must close the model's HTTP connection at once
(or stop the in-process engine at the next token): that is how Stop reaches the model.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any, Literal, Protocol

import attrs

DeltaKind = Literal["content", "thinking"]

#: What went wrong, as the client sees it in `data.kind` of a -32803 error.
ErrorKind = Literal[
    "unreachable",
    "modelNotFound",
    "streamError",
    "streamDropped",
    "timeout",
    "poolTimeout",
    "notAModelServer",
    "unauthorized",
    "backendError",
    "fimUnsupported",
]


@attrs.frozen
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@attrs.frozen
class ChatRequest:
    model: str
    messages: tuple[Message, ...]
    #: Generation options in the protocol's camelCase (`temperature`, `numCtx`, `topP`, ...);
    #: each backend maps them to its own names.
    options: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class FillRequest:
    """Fill in the middle: generate what goes between `prefix` and `suffix` (code completion)."""

    model: str
    prefix: str
    suffix: str
    max_tokens: int
    #: `completion.fimTemplate`: a preset name, a pattern with {prefix} and {suffix}, `none`,
    #: or "" (chosen by the model's name) — for servers that take a raw prompt.
    fim_template: str = ""
    #: Ollama's `keep_alive` for the model ("" = the server's default).
    keep_alive: str = ""


@attrs.frozen
class Delta:
    kind: DeltaKind
    text: str


@attrs.frozen
class Finish:
    done_reason: Literal["stop", "length"]
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    #: The model that really answered, when it is not the one asked for (the embedded one).
    model: str | None = None


StreamEvent = Delta | Finish


@attrs.frozen
class ModelInfo:
    name: str
    size_bytes: int | None = None
    modified_at: str | None = None


class BackendError(Exception):
    """A model-server failure with a message that tells the user what to do."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message


class ContextOverflowError(BackendError):
    """The prompt leaves no room in the model's context. What to shorten depends on what built
    the prompt (a conversation's history, a selection), so a caller may change the advice."""

    def __init__(self, fact: str, advice: str) -> None:
        super().__init__("backendError", f"{fact}: {advice}.")
        self.fact = fact

    def with_advice(self, advice: str) -> ContextOverflowError:
        return ContextOverflowError(self.fact, advice)


def at_least(minimum: float) -> dict[str, float]:
    """Field metadata: the smallest value a setting accepts (the settings reader enforces it,
    naming the key; construction does not, so a backend may shorten a deadline it runs down)."""
    return {"minimum": minimum}


@attrs.frozen
class Timeouts:
    """`ollama.timeouts`: how long to wait for the model server."""

    connect_s: float = attrs.field(default=5.0, metadata=at_least(0.1))
    #: Wait for the first token once the request is sent (a model may take minutes to load);
    #: also the longest wait for a free connection when all `maxConnections` are in use.
    first_token_s: float = attrs.field(default=600.0, metadata=at_least(0.1))
    #: Longest wait between two tokens once the answer has started (bytes that complete no
    #: token do not count).
    idle_s: float = attrs.field(default=120.0, metadata=at_least(0.1))


def core_count() -> int:
    """CPU cores this process may use (llama.cpp runs at half speed on its default of 1 here)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@attrs.frozen
class EmbeddedConfig:
    """`ollama.embedded`: the in-process model of the `embedded` backend."""

    #: A GGUF file; empty means the default SmolLM2-135M-Instruct fetched by the setup script.
    model_path: str = ""
    #: CPU threads for llama.cpp (default: the cores this process may use).
    threads: int = attrs.field(factory=core_count, metadata=at_least(1))
    #: Tokens of prompt and answer together (history and context snippets count).
    context_size: int = attrs.field(default=4096, metadata=at_least(256))


#: Size of the one HTTP connection pool of a backend (`ollama.limits.maxConnections`).
DEFAULT_MAX_CONNECTIONS = 16


@attrs.frozen
class BackendConfig:
    """What a backend is built from: the settings that concern the model server, resolved."""

    base_url: str
    api_key: str | None = attrs.field(default=None, repr=False)
    timeouts: Timeouts = Timeouts()
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    embedded: EmbeddedConfig = EmbeddedConfig()


class ModelBackend(Protocol):
    """What the chat agent and the code workflow need from a model server."""

    #: Human name used in messages ("Ollama", "the OpenAI-compatible server", ...).
    display_name: str
    #: The model that answers whatever model a request names (the embedded backend: its file),
    #: or None when the request's model is used.
    fixed_model: str | None

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        """Deltas as the model produces them, then exactly one `Finish`.

        Raises `BackendError` for every failure of the model server.
        """
        ...

    def stream_fill(self, request: FillRequest) -> AsyncIterator[StreamEvent]:
        """The middle's content deltas as the model produces them, then one `Finish`.

        A model that cannot fill in the middle raises `BackendError("fimUnsupported")`; with
        an empty suffix it completes the prefix. Closing the stream closes the model's.
        """
        ...

    async def list_models(self) -> list[ModelInfo]: ...

    async def aclose(self) -> None: ...


def rename_options(options: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The options a backend knows, under its own names (`names`: protocol name → its name);
    the others are ignored."""
    return {
        names[key]: value for key, value in options.items() if key in names and value is not None
    }
