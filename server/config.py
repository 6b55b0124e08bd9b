"""Settings of the `ollama` section: typed, with defaults, and forgiving of typos.

They come from `initializationOptions`, `workspace/configuration` (section `ollama`) and
`workspace/didChangeConfiguration`, all with the same keys; command-line flags override them.
A bad value never stops the server: it is reported and replaced by its default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ollama_lsp.agents.backends import BackendKind
from ollama_lsp.agents.backends.base import (
    DEFAULT_MAX_CONNECTIONS,
    BackendConfig,
    EmbeddedConfig,
    Timeouts,
    at_least,
)
from ollama_lsp.agents.backends.http import API_KEY_VARIABLE
from ollama_lsp.agents.codegen import TokenBudgets

from .structure import structure_onto

DEFAULT_BASE_URLS: dict[str, str] = {
    "auto": "http://127.0.0.1:11434",  # where Ollama is looked for
    "ollama": "http://127.0.0.1:11434",
    "openai": "http://127.0.0.1:8080/v1",
    "embedded": "",  # in-process: no server
}


@attrs.frozen
class StreamingSettings:
    #: Deltas arriving within this long after a send are merged (0 = send every delta).
    flush_interval_ms: float = attrs.field(default=16.0, metadata=at_least(0))


@attrs.frozen
class ChatSettings:
    system_prompt: str = (
        "You are a concise, accurate programming assistant inside the user's code editor. "
        "Answer in Markdown; put code in fenced blocks tagged with their language."
    )
    #: Earlier messages sent with a prompt; a conversation keeps no more than this in memory
    #: (raising it later does not bring older ones back).
    max_history_messages: int = attrs.field(default=20, metadata=at_least(0))
    #: Conversations held in memory; beyond it the least recently used is forgotten, and
    #: continuing it starts over (its answer says `historyForgotten`). 50 is more than a
    #: window keeps going at once, and bounds memory to 50 times `maxHistoryMessages` messages.
    max_conversations: int = attrs.field(default=50, metadata=at_least(1))
    #: Budget for the `context` snippets put into one prompt (files are read only this far).
    max_context_chars: int = attrs.field(default=24_000, metadata=at_least(0))


@attrs.frozen
class CodegenSettings:
    #: Code around the selection shown to the plan and code stages (two thirds before it).
    context_chars: int = attrs.field(default=6_000, metadata=at_least(0))
    #: The most tokens each stage may generate (`plan`, `code`, `review`).
    max_tokens: TokenBudgets = attrs.field(factory=TokenBudgets)


@attrs.frozen
class CompletionSettings:
    """As-you-type inline completion (`textDocument/inlineCompletion`)."""

    enabled: bool = True
    #: A small base code model with fill-in-the-middle (not used by the embedded backend: the
    #: model is the GGUF file).
    model: str = "qwen2.5-coder:1.5b-base"
    #: Wait this long after a keystroke before asking the model: above the 125 ms between keys
    #: of someone typing 8 characters a second, so a typing burst asks nothing, and short beside
    #: a model's first token.
    debounce_ms: float = attrs.field(default=150.0, metadata=at_least(0))
    #: Longest suggestion, in tokens.
    max_tokens: int = attrs.field(default=128, metadata=at_least(1))
    #: Longest generation, counted from the first token (loading the model is not counted).
    max_time_ms: float = attrs.field(default=3000.0, metadata=at_least(1))
    #: Lines of code before the cursor's line sent to the model (whole lines: the prompt's
    #: start stays put while typing, so the model server reuses its processed prompt).
    prefix_lines: int = attrs.field(default=100, metadata=at_least(0))
    #: Lines after the cursor's line.
    suffix_lines: int = attrs.field(default=30, metadata=at_least(0))
    #: Fill-in-the-middle template for OpenAI-compatible servers: "" (chosen by the model's
    #: name), a preset (`qwen2.5-coder`, `codellama`, `deepseek-coder`, `starcoder`,
    #: `codegemma`, `codestral`), `none` (the prefix alone), or a pattern with {prefix} and
    #: {suffix}.
    fim_template: str = ""
    #: Ollama's `keep_alive` for the completion model, so that it and the chat model do not
    #: evict each other ("" = Ollama's default, 5 minutes).
    keep_alive: str = "30m"


@attrs.frozen
class StorageSettings:
    """Conversation history on disk (SQLite), shared by every window of the user."""

    #: false: conversations live in memory only and are lost when the server stops.
    enabled: bool = True
    #: The SQLite file; "" is `$XDG_DATA_HOME/ollama-lsp/history.sqlite3` (XDG_DATA_HOME
    #: defaults to `~/.local/share`). `~` is the home folder.
    path: str = ""
    #: The most recently updated conversations kept; older ones are deleted as others are
    #: written.
    max_conversations: int = attrs.field(default=1000, metadata=at_least(1))
    #: Conversations not updated for this many days are deleted as others are written (0: kept
    #: whatever their age).
    max_age_days: float = attrs.field(default=0.0, metadata=at_least(0))

    def file(self) -> Path | None:
        """Where the history lives (None when storage is off)."""
        if not self.enabled:
            return None
        if self.path:
            return Path(self.path).expanduser()
        data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        return Path(data_home) / "ollama-lsp" / "history.sqlite3"


@attrs.frozen
class LimitSettings:
    max_prompt_chars: int = attrs.field(default=100_000, metadata=at_least(1))
    #: Size of the one shared HTTP connection pool per backend.
    max_connections: int = attrs.field(default=DEFAULT_MAX_CONNECTIONS, metadata=at_least(1))


@attrs.frozen
class Settings:
    """The `ollama` section. The model server's parts are the backends' own types."""

    backend: BackendKind = "auto"
    #: Empty means the backend's usual local address (`DEFAULT_BASE_URLS`).
    base_url: str = ""
    model: str = "qwen2.5-coder:1.5b"
    #: Sent as `Authorization: Bearer …`; never shown in messages or logs. The environment
    #: variable `OLLAMA_LSP_API_KEY` of the server's process, when set, wins over this setting.
    api_key: str | None = attrs.field(default=None, repr=False, metadata={"secret": True})
    streaming: StreamingSettings = StreamingSettings()
    timeouts: Timeouts = attrs.field(factory=Timeouts)
    chat: ChatSettings = ChatSettings()
    limits: LimitSettings = LimitSettings()
    storage: StorageSettings = StorageSettings()
    codegen: CodegenSettings = CodegenSettings()
    completion: CompletionSettings = CompletionSettings()
    embedded: EmbeddedConfig = attrs.field(factory=EmbeddedConfig)

    @property
    def resolved_base_url(self) -> str:
        return (self.base_url or DEFAULT_BASE_URLS[self.backend]).rstrip("/")

    def backend_config(self) -> BackendConfig:
        return BackendConfig(
            base_url=self.resolved_base_url,
            api_key=self.api_key,
            timeouts=self.timeouts,
            max_connections=self.limits.max_connections,
            embedded=self.embedded,
        )


def settings_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings the server's environment sets (`API_KEY_VARIABLE`: how the terminal client,
    other editors and the VS Code extension pass a key without writing it into any settings).
    They win over the editor's settings, as a
    command line's environment wins over a config file: the key is the one the process was
    started with — in VS Code, the one "Ollama: Set API Key…" stored — not a plain-text value
    left in a (possibly shared) settings file."""
    key = environ.get(API_KEY_VARIABLE)
    return {"apiKey": key} if key else {}


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from a client's `ollama` object, and one readable problem per bad value.

    Keys that are absent keep their value from `base`; bad values keep it too.
    """
    settings = base or Settings()
    if raw is None:
        return settings, []
    problems: list[str] = []
    return structure_onto(settings, raw, "ollama", problems), problems
