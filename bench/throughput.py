"""Throughput: one 20,000-token burst, and 1, 8 and 32 simultaneous chats."""

from __future__ import annotations

import asyncio
import statistics
import time

from bench.harness import SIDES, Bench, Side, ms, peak_rss
from bench.report import Limit, Row, latency_row, ratio_row, value_row
from fake_model_server import Script

BURST_TOKENS = 20_000
CONCURRENCY = (1, 8, 32)
#: Each concurrent chat: this many tokens, one every 10 ms (a realistic model's pace).
STREAM_TOKENS = 50
STREAM_CADENCE_S = 0.01


async def burst(bench: Bench) -> list[Row]:
    """Time from the request to the client having the whole answer, written as fast as the fake
    server can (64 NDJSON lines per write)."""
    chunks = [f"t{i} " for i in range(BURST_TOKENS)]
    bench.fake.script(Script(chunks=chunks))
    durations: dict[str, list[float]] = {side: [] for side in SIDES}
    #: How long the fake server took to write it all: far less, or it is the bottleneck.
    writing: list[float] = []
    for n in range(bench.samples.burst):
        for side in SIDES:
            answer, written = await bench.chat(side, f"burst {n} {side}", "".join(chunks))
            assert answer.done_at is not None
            durations[side].append(ms(answer.done_at - answer.sent_at))
            writing.append(ms(written[-1] - written[0]))
    return [
        ratio_row(
            f"{BURST_TOKENS:,}-token burst: request → client has it all, ms (p50; the fake "
            f"server writes it in {statistics.median(writing):.0f})",
            durations["baseline"],
            durations["lsp"],
            "≤ 1.5x baseline",
            (Limit("ratio", 1.5),),
        )
    ]


async def concurrency(bench: Bench) -> list[Row]:
    rows = []
    for streams in CONCURRENCY:
        expected = {}
        for i in range(streams):
            chunks = [f"s{i}.{j} " for j in range(STREAM_TOKENS)]
            bench.fake.script(Script(chunks=chunks, delay_s=STREAM_CADENCE_S), match=f"stream {i}:")
            expected[i] = "".join(chunks)
        first_token: dict[str, list[float]] = {side: [] for side in SIDES}
        rates: dict[str, list[float]] = {side: [] for side in SIDES}
        #: Answers that arrived whole and unmixed: exactly their own stream's text.
        whole = dict.fromkeys(SIDES, 0)
        peak = 0.0
        for n in range(bench.samples.concurrency):
            for side in SIDES:
                chats = _simultaneous(bench, side, expected, f"round {n}")
                if side == "lsp":
                    (started, answers), round_peak = await peak_rss(bench.lsp.client.pid, chats)
                    peak = max(peak, round_peak)
                else:
                    started, answers = await chats
                done = max(answer.done_at or 0 for answer, _ in answers)
                rates[side].append(streams * STREAM_TOKENS / (done - started))
                first_token[side] += [ms(a.pieces[0][1] - w[0]) for a, w in answers]
                whole[side] += sum(a.text == expected[i] for i, (a, _) in enumerate(answers))
        bench.fake.clear_scripts()
        what = f"{streams} simultaneous chat{'s' if streams > 1 else ''}"
        limits = (Limit("overhead_p99", 20),) if streams == 32 else ()
        rows += [
            latency_row(
                f"{what}: first token → client, per stream, ms",
                first_token["baseline"],
                first_token["lsp"],
                "overhead p99 ≤ 20" if limits else "",
                limits,
            ),
            ratio_row(f"{what}: total tokens/s", rates["baseline"], rates["lsp"]),
            _whole_row(what, whole, streams * bench.samples.concurrency),
        ]
        if streams == max(CONCURRENCY):
            rows.append(value_row(f"{what}: server RSS at the peak, MB", None, peak))
    return rows


async def _simultaneous(bench: Bench, side: Side, expected: dict[int, str], label: str):
    """Start one chat per stream at once; their start time and (answer, chunk times) pairs."""
    started = time.perf_counter()
    answers = await asyncio.gather(
        *(bench.chat(side, f"stream {i}: {label} {side}", text) for i, text in expected.items())
    )
    return started, answers


def _whole_row(what: str, whole: dict[Side, int], answers: int) -> Row:
    return Row(
        f"{what}: answers whole, none lost or mixed",
        f"{whole['baseline']}/{answers}",
        f"{whole['lsp']}/{answers}",
        "",
        {"baseline": whole["baseline"], "lsp": whole["lsp"], "missing": answers - whole["lsp"]},
        "all",
        (Limit("missing", 0),),
    )
