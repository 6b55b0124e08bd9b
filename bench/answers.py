"""Answers as each client received them, and the invariants every one of them must satisfy."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import attrs

from bench.rawclient import RawLspClient, Response

MODEL = "test-model"
REQUEST_CANCELLED = -32800


@attrs.define
class Answer:
    """One answer's text pieces (lines, or batches of the LSP server) with their arrival."""

    #: perf_counter() just before the request was written.
    sent_at: float
    pieces: list[tuple[str, float]] = attrs.Factory(list)
    chars: int = 0
    #: When the client had all of it (the last line / the response).
    done_at: float | None = None

    def add(self, text: str, at: float) -> None:
        self.pieces.append((text, at))
        self.chars += len(text)

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.pieces)

    def arrivals(self, chunks: list[str]) -> list[float]:
        """When each of the model's chunks had arrived whole (a piece may hold several)."""
        times: list[float] = []
        pieces = iter(self.pieces)
        received = 0
        for end in itertools.accumulate(len(chunk) for chunk in chunks):
            while received < end:
                piece = next(pieces, None)
                if piece is None:
                    return times
                received += len(piece[0])
                at = piece[1]
            times.append(at)
        return times


@attrs.define
class LspAnswer(Answer):
    token: str = ""
    request_id: int = 0
    response: Response | None = None
    seqs: list[int] = attrs.Factory(list)
    #: `$/progress` value kinds in arrival order (begin, report..., end).
    progress: list[str] = attrs.Factory(list)
    #: Notifications that arrived after the response (must stay 0).
    late: int = 0
    done: asyncio.Future[Response] | None = None

    async def finish(self, timeout: float = 30) -> Response:
        assert self.done is not None
        self.response = await asyncio.wait_for(self.done, timeout)
        self.done_at = self.response.at
        return self.response


class LspChats:
    """A RawLspClient running `ollama.chat`s, filing what arrives under each progress token."""

    def __init__(self, init_options: dict[str, Any]) -> None:
        self.init_options = init_options
        self.client = RawLspClient(self._on_notification)
        self.answers: dict[str, LspAnswer] = {}
        self._tokens = itertools.count()

    async def start(self) -> float:
        return await self.client.start(self.init_options)

    async def stop(self) -> None:
        await self.client.stop()

    def chat(self, prompt: str) -> LspAnswer:
        token = f"chat-{next(self._tokens)}"
        answer = LspAnswer(sent_at=time.perf_counter(), token=token)
        self.answers[token] = answer
        answer.request_id, answer.done = self.client.command(
            "ollama.chat", {"prompt": prompt}, token=token
        )
        return answer

    def cancel(self, answer: LspAnswer, method: str) -> float:
        """Send `method` for `answer`; returns the perf_counter() of the write."""
        if method == "$/cancelRequest":
            return self.client.notify(method, {"id": answer.request_id})
        return self.client.notify(method, {"token": answer.token})

    def _on_notification(self, method: str, params: Any, at: float) -> None:
        token = params.get("token") if isinstance(params, dict) else None
        answer = self.answers.get(token) if isinstance(token, str) else None
        if answer is None:
            return
        if answer.done is not None and answer.done.done():
            answer.late += 1
        if method == "ollama/token":
            answer.seqs.append(params["seq"])
            answer.add(params["text"], at)
        elif method == "$/progress":
            answer.progress.append(params["value"]["kind"])


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.001)


class Invariants:
    """What must hold for every answer; a violation fails the run (figures never do)."""

    def __init__(self) -> None:
        self.checked = 0
        self.violations: list[str] = []

    def check(self, ok: bool, what: str) -> None:
        self.checked += 1
        if not ok:
            self.violations.append(what)

    def answer(self, answer: Answer, expected: str, *, cancelled: bool = False) -> None:
        """The concatenation is the model's text byte for byte (a prefix of it if cancelled)."""
        name = getattr(answer, "token", "") or "baseline"
        if cancelled:
            self.check(expected.startswith(answer.text), f"{name}: text is not the model's")
        else:
            self.check(answer.text == expected, f"{name}: text differs from the model's")
        if isinstance(answer, LspAnswer):
            self._lsp(answer, expected, cancelled)

    def _lsp(self, answer: LspAnswer, expected: str, cancelled: bool) -> None:
        name, response = answer.token, answer.response
        self.check(response is not None, f"{name}: no response")
        if response is None:
            return
        self.check(answer.seqs == list(range(len(answer.seqs))), f"{name}: seq gap or reorder")
        self.check(answer.late == 0, f"{name}: {answer.late} notifications after the response")
        ends = answer.progress[:1] == ["begin"] and answer.progress[-1:] == ["end"]
        never_started = cancelled and not answer.progress and not answer.seqs
        self.check(ends or never_started, f"{name}: $/progress is not begin … end")
        if cancelled:
            self.check(response.error_code == REQUEST_CANCELLED, f"{name}: not -32800")
        else:
            text = (response.result or {}).get("text")
            self.check(text == expected, f"{name}: result text differs from the model's")
