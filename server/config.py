"""Settings of the `ollama` section: typed, with defaults, and forgiving of typos.

They come from `initializationOptions`, `workspace/configuration` (section `ollama`) and
`workspace/didChangeConfiguration`, all with the same keys; command-line flags override them.
A bad value never stops the server: it is reported and replaced by its default.
"""

from __future__ import annotations

import typing
from typing import Any

import attrs

from ollama_lsp.agents.backends import BackendKind
from ollama_lsp.agents.backends.base import BackendConfig, EmbeddedConfig, Timeouts, core_count

from .structure import ParamsError, camel, structure

DEFAULT_BASE_URLS: dict[str, str] = {
    "auto": "http://127.0.0.1:11434",  # where Ollama is looked for
    "ollama": "http://127.0.0.1:11434",
    "openai": "http://127.0.0.1:8080/v1",
    "embedded": "",  # in-process: no server
}


@attrs.frozen
class StreamingSettings:
    #: Deltas arriving within this long after a send are merged (0 = send every delta).
    flush_interval_ms: float = 16.0


@attrs.frozen
class TimeoutSettings:
    connect_s: float = 5.0
    first_token_s: float = 600.0
    idle_s: float = 120.0


@attrs.frozen
class ChatSettings:
    system_prompt: str = (
        "You are a concise, accurate programming assistant inside the user's code editor. "
        "Answer in Markdown; put code in fenced blocks tagged with their language."
    )
    max_history_messages: int = 20
    #: Budget for the `context` snippets put into one prompt.
    max_context_chars: int = 24_000


@attrs.frozen
class CodegenSettings:
    #: Code around the selection shown to the plan and code stages (two thirds before it).
    context_chars: int = 6_000


@attrs.frozen
class LimitSettings:
    max_prompt_chars: int = 100_000
    #: Size of the one shared HTTP connection pool per backend.
    max_connections: int = 16


@attrs.frozen
class EmbeddedSettings:
    #: A GGUF file; empty means the default SmolLM2-135M-Instruct fetched by the setup script.
    model_path: str = ""
    threads: int = attrs.field(factory=core_count)
    context_size: int = 4096


@attrs.frozen
class Settings:
    backend: BackendKind = "auto"
    #: Empty means the backend's usual local address (`DEFAULT_BASE_URLS`).
    base_url: str = ""
    model: str = "qwen2.5-coder:1.5b"
    api_key: str | None = attrs.field(default=None, repr=False)
    streaming: StreamingSettings = StreamingSettings()
    timeouts: TimeoutSettings = TimeoutSettings()
    chat: ChatSettings = ChatSettings()
    limits: LimitSettings = LimitSettings()
    codegen: CodegenSettings = CodegenSettings()
    embedded: EmbeddedSettings = EmbeddedSettings()

    @property
    def resolved_base_url(self) -> str:
        return (self.base_url or DEFAULT_BASE_URLS[self.backend]).rstrip("/")

    def backend_config(self) -> BackendConfig:
        return BackendConfig(
            base_url=self.resolved_base_url,
            api_key=self.api_key,
            timeouts=Timeouts(
                connect_s=self.timeouts.connect_s,
                first_token_s=self.timeouts.first_token_s,
                idle_s=self.timeouts.idle_s,
            ),
            max_connections=self.limits.max_connections,
            embedded=EmbeddedConfig(
                model_path=self.embedded.model_path,
                threads=self.embedded.threads,
                context_size=self.embedded.context_size,
            ),
        )


_MINIMUMS = {
    "codegen.contextChars": 0,
    "streaming.flushIntervalMs": 0,
    "timeouts.connectS": 0.1,
    "timeouts.firstTokenS": 0.1,
    "timeouts.idleS": 0.1,
    "chat.maxHistoryMessages": 0,
    "chat.maxContextChars": 0,
    "limits.maxPromptChars": 1,
    "limits.maxConnections": 1,
    "embedded.threads": 1,
    "embedded.contextSize": 256,
}


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from a client's `ollama` object, and one readable problem per bad value.

    Keys that are absent keep their value from `base`; bad values keep it too.
    """
    settings = base or Settings()
    if raw is None:
        return settings, []
    if not isinstance(raw, dict):
        return settings, ["`ollama` settings must be an object; using the defaults."]
    problems: list[str] = []
    values = _merge(settings, raw, "", problems)
    return values, problems


def _merge(current: Any, raw: dict[str, Any], prefix: str, problems: list[str]) -> Any:
    changes = {}
    for field in attrs.fields(type(current)):
        key = camel(field.name)
        path = f"{prefix}{key}"
        if key not in raw:
            continue
        old = getattr(current, field.name)
        value = raw[key]
        if attrs.has(type(old)):
            if isinstance(value, dict):
                changes[field.name] = _merge(old, value, f"{path}.", problems)
            else:
                problems.append(f"`ollama.{path}` must be an object; keeping its current value.")
            continue
        try:
            new = structure(_field_type(type(current), field.name), value, f"ollama.{path}")
        except ParamsError as error:
            problems.append(f"{error}; keeping {_show(old)}.")
            continue
        minimum = _MINIMUMS.get(path)
        if minimum is not None and new < minimum:
            problems.append(f"`ollama.{path}` must be at least {minimum}; keeping {_show(old)}.")
            continue
        changes[field.name] = new
    return attrs.evolve(current, **changes)


def _field_type(cls: type, name: str) -> Any:
    return typing.get_type_hints(cls)[name]


def _show(value: Any) -> str:
    return "it unset" if value is None else repr(value)
