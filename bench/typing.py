"""Typing: as-you-type completion while someone types.

A user types `LINE` (60 characters) at 8 characters a second, pausing after each word; at every
keystroke the editor sends the change and a new `textDocument/inlineCompletion`, cancelling the
previous request if it is unanswered (as VS Code does). The fake model answers a fill with its
first token 150 ms after the request, then one every 5 ms: the next word (so that typing it is
served from the cache), then a line back at the block's level (where the stop rules close the
stream), then lines it never gets to send.

Two runs: pauses of 600 ms (a suggestion has time to come: requests, cache hits, overhead, the
share of pauses that ended with a suggestion shown) and of 250 ms (typing resumes while the model
is still working: the superseded request's model connection must close at once).
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import attrs

from bench.answers import MODEL, Answer, until
from bench.fakeserver import FillRecord
from bench.harness import Bench, lsp_settings, ms
from bench.rawclient import RawLspClient, Response
from bench.report import Limit, Row, latency_row, percentiles
from fake_model_server import Script

LINE = "total = price * count + shipping - discount if member else 0"
WORDS = LINE.split(" ")
#: What the model suggests after the last word.
AFTER_LAST = "or 0"
DEF = "def checkout(price, count, member, shipping, discount):\n"
INDENT = "    "
URI = "file:///bench/checkout.py"
KEYSTROKE_S = 1 / 8
LONG_PAUSE_S, SHORT_PAUSE_S = 0.6, 0.25
#: The fake model's pace: first token, then each next one.
FIRST_TOKEN_S, NEXT_TOKEN_S = 0.15, 0.005
#: Index of the chunk that completes a suggestion (the line back at the block's level).
COMPLETING_CHUNK = 2
#: InlineCompletionTriggerKind
INVOKED, AUTOMATIC = 1, 2


def _script(suggestion: str) -> Script:
    tail = [f"    step{i} = {i}\n" for i in range(40)]
    return Script(
        chunks=[suggestion, "\n", "    return total", "\n", *tail],
        first_delay_s=FIRST_TOKEN_S,
        delay_s=NEXT_TOKEN_S,
    )


def _head(run: int) -> str:
    """The document before the typed line: different in each run, so that no run is served
    from the suggestions cached in another."""
    return f"# run {run}\n{DEF}{INDENT}"


def _prefixes(head: str = "") -> list[str]:
    """The text before the cursor at each pause (after each word)."""
    ends = [match.end() for match in re.finditer(r"\S+", LINE)]
    return [head + LINE[:end] for end in ends]


@attrs.define
class Sent:
    """One completion request of the simulated editor."""

    request_id: int
    sent_at: float
    future: asyncio.Future[Response]
    #: The request at the end of a word, which the pause follows.
    at_pause: bool
    #: What a suggestion must be (the model's: the next word; the cache's: its rest).
    expected: str
    #: perf_counter() of its `$/cancelRequest`, when the next keystroke came first.
    cancelled_at: float | None = None


@attrs.define
class Run:
    #: The document's text before the typed line.
    head: str
    sent: list[Sent] = attrs.Factory(list)
    #: Model requests made while typing, and in each pause.
    while_typing: int = 0
    per_pause: list[int] = attrs.Factory(list)
    #: Pauses whose request was answered with a suggestion before the pause ended.
    shown: int = 0


async def typing(bench: Bench) -> list[Row]:
    suggestions = [f" {word}" for word in [*WORDS[1:], AFTER_LAST]]
    for typed, suggestion in zip(_prefixes(f"\n{INDENT}"), suggestions, strict=True):
        bench.fake.script(_script(suggestion), match=typed)
    client = RawLspClient()
    await client.start(lsp_settings(bench.fake.base_url, completion={"model": MODEL}))
    long_runs, short_runs = [], []
    try:
        await _warm_up(client)
        for number in range(bench.samples.typing_runs):
            long_runs.append(await _type(bench, client, LONG_PAUSE_S, suggestions, 2 * number))
            short_runs.append(
                await _type(bench, client, SHORT_PAUSE_S, suggestions, 2 * number + 1)
            )
    finally:
        await client.stop()
    fills = bench.fake.fills()
    baseline_complete, baseline_closes = await _baseline(bench)
    return [
        _requests_row(long_runs),
        latency_row(
            "Typing: superseded model connection closed after the cancel, ms",
            baseline_closes,
            _closes(short_runs, fills),
            "p99 ≤ 5",
            (Limit("lsp_p99", 5),),
        ),
        latency_row(
            "Typing: suggestion complete at the model → in the editor, ms",
            baseline_complete,
            _completions(long_runs, fills),
            "overhead p50 ≤ 2",
            (Limit("overhead_p50", 2),),
        ),
        _cache_row(long_runs),
        _shown_row(long_runs),
    ]


async def _type(
    bench: Bench, client: RawLspClient, pause_s: float, suggestions: list[str], number: int
) -> Run:
    """Type `LINE` once into a fresh document, as an editor reports it."""
    run = Run(_head(number))
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": URI, "languageId": "python", "version": 1, "text": run.head}},
    )
    fills_before = len(bench.fake.fills())
    pause = 0
    typed_since_pause = 0
    for index, char in enumerate(LINE):
        column = len(INDENT) + index
        cursor = {"line": 2, "character": column}
        client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": URI, "version": index + 2},
                "contentChanges": [{"range": {"start": cursor, "end": cursor}, "text": char}],
            },
        )
        if run.sent and not run.sent[-1].future.done():
            run.sent[-1].cancelled_at = client.notify(
                "$/cancelRequest", {"id": run.sent[-1].request_id}
            )
        typed_since_pause += 1
        at_pause = index + 1 == len(LINE) or LINE[index + 1] == " "
        if at_pause:
            expected = suggestions[pause]
        else:  # the rest of the suggestion made at the last pause, if any
            expected = suggestions[pause - 1][typed_since_pause:] if pause else ""
        sent_at = time.perf_counter()
        request_id, future = client.start_request(
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": URI},
                "position": {"line": 2, "character": column + 1},
                "context": {"triggerKind": AUTOMATIC},
            },
        )
        run.sent.append(Sent(request_id, sent_at, future, at_pause, expected))
        if not at_pause:
            await asyncio.sleep(KEYSTROKE_S)
            continue
        fills_at_pause = len(bench.fake.fills())
        run.while_typing += fills_at_pause - fills_before
        await asyncio.sleep(pause_s)
        fills_before = len(bench.fake.fills())
        run.per_pause.append(fills_before - fills_at_pause)
        run.shown += future.done() and bool(_items(future.result()))
        pause += 1
        typed_since_pause = 0
    await until(lambda: all(sent.future.done() for sent in run.sent))
    client.notify("textDocument/didClose", {"textDocument": {"uri": URI}})
    for sent in run.sent:
        _check(bench, sent)
    return run


def _items(response: Response) -> list[dict[str, Any]]:
    result = response.result
    return list(result.get("items") or []) if isinstance(result, dict) else []


def _check(bench: Bench, sent: Sent) -> None:
    """Answered once: a suggestion that is what the model or the cache must give, or nothing
    (an empty list, or -32800 when cancelled)."""
    response = sent.future.result()
    if response.error_code is not None:
        bench.invariants.check(
            response.error_code == -32800 and sent.cancelled_at is not None,
            f"completion {sent.request_id} failed: {response.message}",
        )
        return
    items = _items(response)
    bench.invariants.check(len(items) <= 1, f"completion {sent.request_id}: {len(items)} items")
    if items:
        text = items[0].get("insertText")
        bench.invariants.check(
            text == sent.expected,
            f"completion {sent.request_id} suggested {text!r}, not {sent.expected!r}",
        )


def _requests_row(runs: list[Run]) -> Row:
    while_typing = sum(run.while_typing for run in runs)
    per_pause = [count for run in runs for count in run.per_pause]
    figures = {
        "while_typing": while_typing,
        "per_pause_max": max(per_pause),
        "per_pause_mean": sum(per_pause) / len(per_pause),
    }
    return Row(
        "Typing (60 characters at 8/s, 600 ms after each word): model requests while typing "
        "/ per pause (mean, max)",
        "—",
        f"{while_typing} / {figures['per_pause_mean']:.2f}, {max(per_pause)}",
        "",
        figures,
        "0 / 1",
        (Limit("while_typing", 0), Limit("per_pause_max", 1)),
    )


def _fill_for(fills: list[FillRecord], prompt: str) -> FillRecord | None:
    """The fill request of `prompt` (each run's prompts are its own)."""
    return next((fill for fill in fills if fill.prompt == prompt), None)


def _closes(runs: list[Run], fills: list[FillRecord]) -> list[float]:
    """For each superseded request that had reached the model: cancel → connection closed."""
    closes = []
    for run in runs:
        pauses = [sent for sent in run.sent if sent.at_pause]
        for sent, prefix in zip(pauses, _prefixes(run.head), strict=True):
            if sent.cancelled_at is None:
                continue
            fill = _fill_for(fills, prefix)
            if fill is not None and fill.disconnected_at is not None:
                closes.append(ms(fill.disconnected_at - sent.cancelled_at))
    return closes


def _completions(runs: list[Run], fills: list[FillRecord]) -> list[float]:
    """For each suggestion the model made: its completing chunk written → the response read."""
    latencies = []
    for run in runs:
        pauses = [sent for sent in run.sent if sent.at_pause]
        for sent, prefix in zip(pauses, _prefixes(run.head), strict=True):
            fill = _fill_for(fills, prefix)
            if fill is None or not sent.future.done() or not _items(sent.future.result()):
                continue
            if len(fill.chunk_times) > COMPLETING_CHUNK:
                latencies.append(ms(sent.future.result().at - fill.chunk_times[COMPLETING_CHUNK]))
    return latencies


def _cache_row(runs: list[Run]) -> Row:
    """Keystrokes answered with the rest of a suggestion: request sent → response read."""
    hits = [
        ms(sent.future.result().at - sent.sent_at)
        for run in runs
        for sent in run.sent
        if not sent.at_pause and _items(sent.future.result())
    ]
    p50, p99 = percentiles(hits) if hits else (float("nan"), float("nan"))
    figures = {"lsp_p50": p50, "lsp_p99": p99, "samples": len(hits)}
    return Row(
        "Typing: typed-through keystroke → rest of the suggestion from the cache, ms",
        "—",
        f"{p50:.2f} / {p99:.2f}",
        "",
        figures,
        "p50 ≤ 2",
        (Limit("lsp_p50", 2),),
    )


def _shown_row(runs: list[Run]) -> Row:
    shown = sum(run.shown for run in runs)
    pauses = sum(len(run.per_pause) for run in runs)
    figures = {"shown": shown, "pauses": pauses, "share": shown / pauses}
    return Row(
        "Typing: pauses that ended with a suggestion shown", "—", f"{shown}/{pauses}", "", figures
    )


async def _warm_up(client: RawLspClient) -> None:
    """One completion first: the server's lazy imports and its pool's connection."""
    uri = "file:///bench/warm-up.py"
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "x = "}},
    )
    await client.request(
        "textDocument/inlineCompletion",
        {
            "textDocument": {"uri": uri},
            "position": {"line": 0, "character": 4},
            "context": {"triggerKind": INVOKED},
        },
    )
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})


async def _baseline(bench: Bench) -> tuple[list[float], list[float]]:
    """The same fills read directly: the completing chunk written → parsed; and a stream
    closed before its first token → seen closed by the model server."""
    completes, closes = [], []
    prefix = _prefixes(_head(-1))[0]

    def complete_after(answer: Answer) -> bool:
        return len(answer.pieces) > COMPLETING_CHUNK

    for _ in range(bench.samples.typing_runs * len(WORDS)):
        answer = await bench.baseline.fill(prefix, "\n", complete_after)
        fill = bench.fake.fills()[-1]
        # The reader may have the chunk before the fake server (same event loop) notes its write.
        await until(lambda times=fill.chunk_times: len(times) > COMPLETING_CHUNK)
        written = fill.chunk_times[COMPLETING_CHUNK]
        completes.append(ms(answer.pieces[COMPLETING_CHUNK][1] - written))
        closes.append(await _baseline_close(bench, prefix))
    return completes, closes


async def _baseline_close(bench: Bench, prefix: str) -> float:
    """A direct fill closed before its first token: the close → seen by the model server."""
    index = len(bench.fake.fills())
    reading = asyncio.ensure_future(bench.baseline.fill(prefix, "\n", lambda answer: False))
    await until(lambda: len(bench.fake.fills()) > index)
    await asyncio.sleep(FIRST_TOKEN_S / 2)
    cancelled_at = time.perf_counter()
    reading.cancel()
    await until(lambda: bench.fake.fills()[index].disconnected_at is not None)
    closed_at = bench.fake.fills()[index].disconnected_at
    assert closed_at is not None
    return ms(closed_at - cancelled_at)
