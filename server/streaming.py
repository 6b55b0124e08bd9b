"""The editor's side of one generating request: `$/progress` plus `ollama/token` batches.

Batching is a leading-edge throttle on the event loop's clock: the first delta goes out at once;
deltas that arrive within `flush_interval` after a send are merged and sent when it ends. There
is no sleep anywhere: a quiet stream sends each delta the moment it arrives.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from lsprotocol import types as lsp

from .protocol import (
    TOKEN_NOTIFICATION,
    Progress,
    ProgressBegin,
    ProgressEnd,
    ProgressStageReport,
    ProgressTextReport,
    ProgressValue,
    Stage,
    TextKind,
    TokenBatch,
)

Notify = Callable[[str, dict[str, Any]], None]
#: What a batch belongs to: (stage, kind, revision).
BatchKey = tuple[Stage, TextKind, int | None]


class TokenStream:
    def __init__(
        self,
        notify: Notify,
        *,
        route_token: int | str,
        progress_token: int | str | None,
        flush_interval_s: float,
        label: str,
    ) -> None:
        self._notify = notify
        #: Goes into every `ollama/token` so the client can route it to the right view.
        self.route_token = route_token
        self.progress_token = progress_token
        self._interval = flush_interval_s
        self._label = label
        self._loop = asyncio.get_running_loop()
        self._pending: list[str] = []
        self._pending_key: BatchKey | None = None
        self._last_flush = -math.inf
        self._timer: asyncio.TimerHandle | None = None
        self._seq = 0
        self._closed = False
        self._sent: defaultdict[BatchKey, list[str]] = defaultdict(list)
        self._last_content_key: BatchKey | None = None
        #: Deltas received so far (≈ model tokens), shown in the progress message.
        self.delta_count = 0
        #: The stage started last (`start_stage`), with its revision: where an error happened.
        self.stage: Stage | None = None
        self._stage_revision: int | None = None

    def begin(self, title: str) -> None:
        self._progress(ProgressBegin(title=title))

    def start_stage(self, stage: Stage, label: str, revision: int | None = None) -> None:
        """A new stage begins: flush what the previous one had and show its label."""
        self._flush()
        self._label = label
        self.stage, self._stage_revision = stage, revision
        self._progress(ProgressStageReport(message=label, stage=stage, revision=revision))

    def push(self, stage: Stage, kind: TextKind, text: str, revision: int | None = None) -> None:
        if not text or self._closed:
            return
        key = (stage, kind, revision)
        if self._pending_key is not None and key != self._pending_key:
            self._flush()  # a batch holds one stage and one kind
        self._pending.append(text)
        self._pending_key = key
        self._sent[key].append(text)
        if kind == "content":
            self._last_content_key = key
        self.delta_count += 1
        if self._timer is None:
            due = self._last_flush + self._interval
            if self._loop.time() >= due:
                self._flush()
            else:
                self._timer = self._loop.call_at(due, self._flush)

    def text(self, stage: Stage, kind: TextKind, revision: int | None = None) -> str:
        """Everything pushed so far for one stage and kind."""
        return "".join(self._sent.get((stage, kind, revision), ()))

    def partial_text(self) -> str:
        """The content of the stage that was streaming last: what an error leaves the user."""
        if self.stage is not None:
            return self.text(self.stage, "content", self._stage_revision)
        if self._last_content_key is None:
            return ""
        return "".join(self._sent[self._last_content_key])

    def end(self, message: str) -> None:
        """Flush the last batch, then `$/progress` end. Call exactly once, before responding."""
        self._flush()
        self._closed = True
        self._progress(ProgressEnd(message=message))

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending or self._pending_key is None:
            return
        stage, kind, revision = self._pending_key
        text = "".join(self._pending)
        self._pending.clear()
        self._last_flush = self._loop.time()
        # Positional arguments here: this runs per batch, and keywords cost a third more.
        batch = TokenBatch(self.route_token, self._seq, stage, kind, text, revision)
        self._seq += 1
        self._notify(TOKEN_NOTIFICATION, batch.to_wire())
        if self.progress_token is not None:
            message = f"{self._label} · {self.delta_count} tokens"
            self._progress(ProgressTextReport(message, text, kind, stage, revision))

    def _progress(self, value: ProgressValue) -> None:
        if self.progress_token is not None:
            self._notify(lsp.PROGRESS, Progress(self.progress_token, value).to_wire())
