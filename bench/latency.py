"""Latency: the model's first token and the following ones → the client; cancel → the model.

Token latencies run from the fake server completing a chunk's write to the client parsing the
frame that holds it; cancel latency from the client writing the cancel to the fake server
seeing the connection closed. Baseline and ollama-lsp samples alternate, so noise from other
work on the machine falls on both.
"""

from __future__ import annotations

import asyncio

import attrs

from bench.answers import LspChats, until
from bench.harness import SIDES, Bench, Side, lsp_settings, ms
from bench.report import Limit, Row, latency_row
from fake_model_server import Script

CANCEL_METHODS = ("$/cancelRequest", "window/workDoneProgress/cancel")


async def first_token(bench: Bench) -> list[Row]:
    # The model "evaluates the prompt" for 5 ms, then sends its headers with the first token.
    chunks = ["Hello", ", world"]
    bench.fake.script(Script(chunks=chunks, head_delay_s=0.005))
    latencies: dict[str, list[float]] = {side: [] for side in SIDES}
    for n in range(bench.samples.first_token):
        for side in SIDES:
            answer, written = await bench.chat(side, f"first token {n} {side}", "".join(chunks))
            latencies[side].append(ms(answer.pieces[0][1] - written[0]))
    return [
        latency_row(
            "First token → client, ms",
            latencies["baseline"],
            latencies["lsp"],
            "overhead p50 ≤ 1, p99 ≤ 5",
            (Limit("overhead_p50", 1), Limit("overhead_p99", 5)),
        )
    ]


async def inter_token(bench: Bench) -> list[Row]:
    """Every token after the first, without batching and with the default batching."""
    unbatched = LspChats(lsp_settings(bench.fake.base_url, streaming={"flushIntervalMs": 0}))
    await unbatched.start()
    rows = []
    try:
        for cadence_ms, tokens in ((10, 50), (1, 200)):
            chunks = [f"c{cadence_ms}.{i} " for i in range(tokens)]
            bench.fake.script(Script(chunks=chunks, delay_s=cadence_ms / 1000))
            latencies: dict[str, list[float]] = {"baseline": [], "unbatched": [], "lsp": []}
            for n in range(bench.samples.inter_token):
                for name, latency in latencies.items():
                    side: Side = "baseline" if name == "baseline" else "lsp"
                    lsp = unbatched if name == "unbatched" else bench.lsp
                    prompt = f"cadence {cadence_ms} {n} {name}"
                    answer, written = await bench.chat(side, prompt, "".join(chunks), lsp)
                    arrivals = answer.arrivals(chunks)
                    latency += [ms(a - w) for a, w in zip(arrivals, written, strict=True)][1:]
            rows += [
                latency_row(
                    f"Next tokens → client at {cadence_ms} ms cadence, ms (flushIntervalMs 0)",
                    latencies["baseline"],
                    latencies["unbatched"],
                ),
                latency_row(
                    f"Next tokens → client at {cadence_ms} ms cadence, ms (default batching, "
                    "16 ms)",
                    latencies["baseline"],
                    latencies["lsp"],
                ),
            ]
    finally:
        await unbatched.stop()
    return rows


@attrs.frozen
class CancelCase:
    name: str
    script: Script
    #: Cancel once this much text has reached the client.
    started_chars: int
    #: A slow reader: stop reading this long before cancelling.
    stall_s: float = 0


CANCEL_CASES = (
    CancelCase(
        "idle, a token every 20 ms", Script([f"i{n} " for n in range(5000)], delay_s=0.02), 1
    ),
    CancelCase(
        "during a burst",
        Script([f"b{n} " for n in range(300_000)]),
        started_chars=20_000,
    ),
    CancelCase(
        "slow reader: stdout unread for 200 ms",
        Script(["x" * 2000] * 5000, delay_s=0.001),
        started_chars=1,
        stall_s=0.2,
    ),
)


async def cancel(bench: Bench) -> list[Row]:
    rows = []
    for case in CANCEL_CASES:
        bench.fake.script(case.script)
        expected = "".join(case.script.chunks)
        latencies: dict[str, list[float]] = {name: [] for name in ("baseline", *CANCEL_METHODS)}
        for n in range(bench.samples.cancel):
            for method, latency in latencies.items():
                prompt = f"cancel {case.name} {n} {method}"
                if method == "baseline":
                    latency.append(await _cancel_baseline(bench, case, prompt, expected))
                else:
                    latency.append(await _cancel_lsp(bench, case, prompt, expected, method))
        rows += [
            latency_row(
                f"Cancel ({case.name}) → model connection closed: `{method}`, ms",
                latencies["baseline"],
                latencies[method],
                "p99 ≤ 20",
                (Limit("lsp_p99", 20),),
            )
            for method in CANCEL_METHODS
        ]
    return rows


async def _cancel_baseline(bench: Bench, case: CancelCase, prompt: str, expected: str) -> float:
    """The baseline's cancel: close the HTTP response."""
    answer = await bench.baseline.chat(
        prompt, lambda answer: answer.chars >= case.started_chars, stall_s=case.stall_s
    )
    closed_at = await bench.fake.wait_disconnect(prompt)
    bench.invariants.answer(answer, expected, cancelled=True)
    return ms(closed_at - bench.baseline.closed_at)


async def _cancel_lsp(
    bench: Bench, case: CancelCase, prompt: str, expected: str, method: str
) -> float:
    answer = bench.lsp.chat(prompt)
    await until(lambda: answer.chars >= case.started_chars)
    if case.stall_s:
        bench.lsp.client.pause_reading()
        await asyncio.sleep(case.stall_s)
    sent_at = bench.lsp.cancel(answer, method)
    closed_at = await bench.fake.wait_disconnect(prompt)
    bench.lsp.client.resume_reading()
    await answer.finish()
    bench.invariants.answer(answer, expected, cancelled=True)
    return ms(closed_at - sent_at)
