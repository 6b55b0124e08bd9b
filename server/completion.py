"""`textDocument/inlineCompletion`: ghost text as the user types, asked of the model sparingly.

An editor asks on nearly every keystroke, so before the model is asked:
- a suggestion already made serves the request when the user typed exactly its first
  characters (an LRU cache keyed by the code sent to the model: an edit elsewhere in that code
  changes the key, so it cannot serve a stale suggestion);
- the request waits `completion.debounceMs`; cancelled meanwhile, it never reaches the model;
- a new request for a document supersedes the one in flight even if the editor did not cancel
  it: the old one's model stream is closed and it answers an empty list (not an error: its
  client did nothing wrong, and an empty list is what an editor drops silently).

A model that is still loading is not cancelled into starvation: a request that has waited
`LOADING_AFTER_S` for its first token is presumed to be loading the model, so a cancel answers
the editor at once but keeps that one model request open until the first token arrives (then
it is closed: the model is loaded), and later requests wait for that instead of queueing more
requests behind the load.

Failures answer an empty list; each distinct problem is shown once (`window/showMessage`, with
what to do), then completions stay quiet until a request succeeds or the settings change.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import TYPE_CHECKING

import attrs
from lsprotocol import types as lsp

from ollama_lsp.agents.backends.base import BackendError, FillRequest
from ollama_lsp.agents.completion import suggest

from .positions import PositionError, line_starts, offset_at

if TYPE_CHECKING:
    from .config import CompletionSettings
    from .language_server import OllamaLanguageServer

logger = logging.getLogger(__name__)

#: Suggestions kept (llama.vscode keeps 250 too).
CACHE_SIZE = 250
#: How many typed characters a cached suggestion may be followed through.
MAX_TYPED_THROUGH = 64
#: Waiting this long for the first token means the model is being loaded.
LOADING_AFTER_S = 1.0


@attrs.frozen
class Context:
    """What is sent to the model for one request, and what the cache is keyed by."""

    #: The model, template and backend settings: a suggestion of another model is not served.
    setup: tuple[object, ...]
    #: The document's text before the cursor, from the first line of the window.
    prefix: str
    #: The document's text after the cursor, to the last line of the window.
    suffix: str


def context_at(
    text: str, starts: list[int], line: int, offset: int, prefix_lines: int, suffix_lines: int
) -> tuple[str, str]:
    """The code before and after the cursor (`offset`, on `line`) in whole lines: `prefix_lines`
    lines above the cursor's line, `suffix_lines` below it (`starts`: the `line_starts`)."""
    start = starts[max(0, line - prefix_lines)]
    last = line + suffix_lines + 1
    end = starts[last] if last < len(starts) else len(text)
    return text[start:offset], text[offset:end]


class SuggestionCache:
    """Recent suggestions by the context they were made for (least recently used go first)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._entries: collections.OrderedDict[Context, str] = collections.OrderedDict()

    def store(self, context: Context, suggestion: str) -> None:
        self._entries[context] = suggestion
        self._entries.move_to_end(context)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def lookup(self, context: Context) -> str | None:
        """The suggestion for `context`: one made here, or one made up to `MAX_TYPED_THROUGH`
        characters before on this line whose start the user has typed since (its rest)."""
        line_start = context.prefix.rfind("\n") + 1
        most = min(MAX_TYPED_THROUGH, len(context.prefix) - line_start)
        for typed in range(most + 1):
            earlier = attrs.evolve(context, prefix=context.prefix[: len(context.prefix) - typed])
            suggestion = self._entries.get(earlier)
            if suggestion is None:
                continue
            typed_text = context.prefix[len(context.prefix) - typed :]
            if typed == 0 or (suggestion.startswith(typed_text) and len(suggestion) > typed):
                self._entries.move_to_end(earlier)
                return suggestion[typed:]
        return None


class InlineCompletions:
    """The server's inline completion: cache, one model request per document, loading guard,
    and the problems already shown."""

    def __init__(self, ls: OllamaLanguageServer) -> None:
        self._ls = ls
        self.cache = SuggestionCache()
        #: Per document: the request that may talk to the model (a newer one cancels it).
        self._latest: dict[str, asyncio.Task[str]] = {}
        #: A model request kept open while the model loads, and its first token.
        self._loading: tuple[asyncio.Task[str], asyncio.Event] | None = None
        #: The kind of problem shown last, and the settings it was shown under.
        self._shown: tuple[str, object] | None = None
        self._background: set[asyncio.Task[None]] = set()

    async def complete(self, params: lsp.InlineCompletionParams) -> lsp.InlineCompletionList:
        ls = self._ls
        settings = ls.settings.completion
        empty = lsp.InlineCompletionList(items=[])
        if not settings.enabled:
            return empty
        uri, position = params.text_document.uri, params.position
        try:
            text = ls.documents.get(uri).text
            starts = line_starts(text)
            offset = offset_at(text, position, ls.position_encoding, starts)
        except (LookupError, PositionError) as error:
            logger.info("No completion at %s %s: %s", uri, position, error)
            return empty
        previous = self._latest.pop(uri, None)
        if previous is not None:
            previous.cancel()  # the user has moved on: its answer would be stale
        prefix, suffix = context_at(
            text, starts, position.line, offset, settings.prefix_lines, settings.suffix_lines
        )
        context = Context(self._setup(), prefix, suffix)
        cached = self.cache.lookup(context)
        if cached is None:
            invoked = params.context.trigger_kind == lsp.InlineCompletionTriggerKind.Invoked
            debounce_s = 0.0 if invoked else settings.debounce_ms / 1000
            work = asyncio.ensure_future(self._ask_model(context, settings, debounce_s))
            self._latest[uri] = work
            try:
                cached = await work
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # the client cancelled: -32800
                return empty  # superseded by a newer request for this document
            finally:
                if self._latest.get(uri) is work:
                    del self._latest[uri]
        if not cached:
            return empty
        item = lsp.InlineCompletionItem(insert_text=cached, range=lsp.Range(position, position))
        return lsp.InlineCompletionList(items=[item])

    def _setup(self) -> tuple[object, ...]:
        settings = self._ls.settings
        return (settings.backend, settings.backend_config(), settings.completion)

    async def _ask_model(
        self, context: Context, settings: CompletionSettings, debounce_s: float
    ) -> str:
        """The suggestion, cached; "" after a failure (reported once)."""
        await asyncio.sleep(debounce_s)
        await self._wait_for_loading()
        request = FillRequest(
            model=settings.model,
            prefix=context.prefix,
            suffix=context.suffix,
            max_tokens=settings.max_tokens,
            fim_template=settings.fim_template,
            keep_alive=settings.keep_alive,
        )
        first_token = asyncio.Event()
        call = asyncio.ensure_future(
            suggest(self._ls.backend, request, settings.max_time_ms / 1000, first_token)
        )
        loop = asyncio.get_running_loop()
        asked_at = loop.time()
        try:
            suggestion = await asyncio.shield(call)
        except asyncio.CancelledError:
            if first_token.is_set() or loop.time() - asked_at < LOADING_AFTER_S:
                call.cancel()
                call.add_done_callback(_consume)
            else:
                self._keep_while_loading(call, first_token)
            raise
        except BackendError as error:
            self._report(error)
            return ""
        self._shown = None  # working again: the next problem is news
        self.cache.store(context, suggestion)
        return suggestion

    async def _wait_for_loading(self) -> None:
        """While a request loads the model, wait for its first token (or its end)."""
        if self._loading is None:
            return
        call, first_token = self._loading
        waiter = asyncio.ensure_future(first_token.wait())
        try:
            await asyncio.wait({call, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()

    def _keep_while_loading(self, call: asyncio.Task[str], first_token: asyncio.Event) -> None:
        """Let a request that is loading the model run on until its first token, then close it."""
        if self._loading is not None and self._loading[0] is not call:
            call.cancel()  # one load at a time is enough
            call.add_done_callback(_consume)
            return
        logger.info("The completion model is still loading: its request is kept open")
        self._loading = (call, first_token)

        async def close_at_first_token() -> None:
            try:
                await self._wait_for_loading()
            finally:
                call.cancel()
                await asyncio.wait({call})
                _consume(call)
                self._loading = None

        task = asyncio.ensure_future(close_at_first_token())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _report(self, error: BackendError) -> None:
        """Show a kind of problem once; it again, under the same settings, is only logged."""
        setup = self._setup()
        if self._shown == (error.kind, setup):
            logger.debug("Completion failed again: %s", error.message)
            return
        self._shown = (error.kind, setup)
        logger.warning("Completion failed: %s", error.message)
        self._ls.window_show_message(
            lsp.ShowMessageParams(
                type=lsp.MessageType.Warning, message=f"ollama-lsp completion: {error.message}"
            )
        )


def _consume(task: asyncio.Task[str]) -> None:
    """Retrieve the outcome of a model request nobody awaits any more (no asyncio warning)."""
    if not task.cancelled():
        task.exception()
