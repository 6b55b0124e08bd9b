"""Soak: thousands of mixed requests against one server, as a long day in an editor would send.

Whole chats, chats cancelled at a random moment (waiting for a pool slot, connecting, streaming;
by either cancel method) and model listings, several in flight at once through a pool smaller
than the work, so requests queue for connections. What must hold: every request answered once,
with the model's text (a prefix of it when cancelled); no connection left open beyond the pool's
keep-alive ones while idle, none once the server has exited. What is reported: the server's
RSS, open file descriptors and the model server's open connections at the start and the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random

import attrs

from bench.answers import LspChats, until
from bench.harness import Bench, lsp_settings
from bench.latency import CANCEL_METHODS
from bench.report import Limit, Row, change_row, rss_mb
from fake_model_server import Script

POOL = 4
IN_FLIGHT = 8
#: A whole answer: short, at a fast model's pace.
WHOLE = Script(chunks=[f"w{i} " for i in range(12)], delay_s=0.001)
#: An answer long enough never to end before its cancel (at most 40 ms after the request).
LONG = Script(chunks=[f"l{i} " for i in range(400)], delay_s=0.002)
CANCEL_WITHIN_S = 0.04
SEED = 2026


async def soak(bench: Bench) -> list[Row]:
    bench.fake.script(WHOLE, match="soak whole")
    bench.fake.script(LONG, match="soak cancel")
    #: Connections of the benchmark's other clients, which stay open throughout.
    others = bench.fake.open_connections()
    lsp = LspChats(lsp_settings(bench.fake.base_url, limits={"maxConnections": POOL}))
    await lsp.start()
    rng = random.Random(SEED)
    requests = bench.samples.soak_requests
    try:
        for n in range(5):  # lazy imports done, every connection of the pool opened
            await asyncio.gather(
                *(_whole_chat(bench, lsp, f"soak whole warm-up {n}.{i}") for i in range(IN_FLIGHT))
            )
        start = _Usage.of(bench, lsp, others)
        kinds = rng.choices(("whole", "cancel", "models"), weights=(5, 4, 1), k=requests)
        queue = asyncio.Queue[tuple[int, str]]()
        for item in enumerate(kinds):
            queue.put_nowait(item)
        await asyncio.gather(*(_worker(bench, lsp, queue, rng) for _ in range(IN_FLIGHT)))
        bench.invariants.check(not lsp.client.unanswered, "soak: requests never answered")
        end = _Usage.of(bench, lsp, others)
        bench.invariants.check(
            end.connections <= POOL, f"soak: {end.connections} model connections left open"
        )
    finally:
        await lsp.stop()
    await _until_closed(bench, others)
    return [
        change_row(
            f"Soak ({requests:,} requests): server RSS, MB",
            round(start.rss, 1),
            round(end.rss, 1),
            "≤ +5 (bounded)",
            (Limit("growth", 5),),
        ),
        change_row(
            "Soak: server's open file descriptors",
            start.descriptors,
            end.descriptors,
            "flat (≤ +2)",
            (Limit("growth", 2),),
        ),
        change_row(
            f"Soak: model server's open connections (pool of {POOL}; 0 after the exit)",
            start.connections,
            end.connections,
            f"≤ {POOL}",
            (Limit("end", POOL),),
        ),
    ]


async def _worker(
    bench: Bench, lsp: LspChats, queue: asyncio.Queue[tuple[int, str]], rng: random.Random
) -> None:
    while not queue.empty():
        n, kind = queue.get_nowait()
        if kind == "whole":
            await _whole_chat(bench, lsp, f"soak whole {n}")
        elif kind == "cancel":
            await _cancelled_chat(bench, lsp, f"soak cancel {n}", rng)
        else:
            response = await asyncio.wait_for(lsp.client.command("ollama.listModels", {})[1], 30)
            bench.invariants.check(response.result is not None, f"soak {n}: models not listed")


async def _whole_chat(bench: Bench, lsp: LspChats, prompt: str) -> None:
    answer = lsp.chat(prompt)
    await answer.finish()
    bench.invariants.answer(answer, "".join(WHOLE.chunks))


async def _cancelled_chat(bench: Bench, lsp: LspChats, prompt: str, rng: random.Random) -> None:
    answer = lsp.chat(prompt)
    await asyncio.sleep(rng.uniform(0, CANCEL_WITHIN_S))
    lsp.cancel(answer, rng.choice(CANCEL_METHODS))
    await answer.finish()
    bench.invariants.answer(answer, "".join(LONG.chunks), cancelled=True)


async def _until_closed(bench: Bench, others: int) -> None:
    """The server has exited: the model server must see every connection of it closed."""
    with contextlib.suppress(TimeoutError):
        await until(lambda: bench.fake.open_connections() <= others, timeout=5)
    left = bench.fake.open_connections() - others
    bench.invariants.check(left == 0, f"soak: {left} model connections open after the exit")


@attrs.frozen
class _Usage:
    """What a long-lived server must not accumulate."""

    rss: float
    descriptors: int
    connections: int

    @classmethod
    def of(cls, bench: Bench, lsp: LspChats, others: int) -> _Usage:
        pid = lsp.client.pid
        descriptors = len(os.listdir(f"/proc/{pid}/fd"))
        return cls(rss_mb(pid), descriptors, bench.fake.open_connections() - others)
