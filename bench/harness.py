"""What every section measures with: the fake model server, an ollama-lsp server with its raw
client, the baseline client, the invariants, and how many samples to take."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Literal

import attrs

from bench.answers import MODEL, Answer, Invariants, LspChats
from bench.baseline import BaselineClient
from bench.fakeserver import FakeServer
from bench.report import rss_mb
from fake_model_server import Script

Side = Literal["baseline", "lsp"]
SIDES: tuple[Side, ...] = ("baseline", "lsp")


@attrs.frozen
class Samples:
    first_token: int
    #: Answers per cadence for the inter-token figures.
    inter_token: int
    burst: int
    #: Cancels per case and method.
    cancel: int
    #: Repetitions of each concurrency level.
    concurrency: int
    chats_in_a_row: int
    startups: int
    #: Requests of the soak (whole chats, cancelled chats, model listings).
    soak_requests: int
    #: Runs of the typing simulation (each: 60 characters, 11 pauses).
    typing_runs: int


FULL = Samples(
    first_token=200,
    inter_token=4,
    burst=15,
    cancel=30,
    concurrency=3,
    chats_in_a_row=200,
    startups=10,
    soak_requests=3000,
    typing_runs=3,
)
QUICK = Samples(
    first_token=10,
    inter_token=1,
    burst=1,
    cancel=2,
    concurrency=1,
    chats_in_a_row=20,
    startups=2,
    soak_requests=300,
    typing_runs=1,
)


def lsp_settings(base_url: str, **more: Any) -> dict[str, Any]:
    """Defaults, except a connection pool big enough for 32 simultaneous chats (default 16)."""
    return {
        "backend": "ollama",
        "baseUrl": base_url,
        "model": MODEL,
        "limits": {"maxConnections": 32},
        **more,
    }


@attrs.define
class Bench:
    samples: Samples
    fake: FakeServer
    lsp: LspChats
    baseline: BaselineClient
    invariants: Invariants = attrs.Factory(Invariants)

    async def chat(
        self, side: Side, prompt: str, expected: str, lsp: LspChats | None = None
    ) -> tuple[Answer, list[float]]:
        """One whole answer on `side` (invariants checked), and when the model wrote each chunk."""
        if side == "baseline":
            answer = await self.baseline.chat(prompt)
        else:
            lsp_answer = (lsp or self.lsp).chat(prompt)
            await lsp_answer.finish()
            answer = lsp_answer
        self.invariants.answer(answer, expected)
        return answer, await self.fake.chunk_times(prompt)


@contextlib.asynccontextmanager
async def bench(samples: Samples) -> AsyncIterator[Bench]:
    fake = FakeServer()
    lsp = LspChats(lsp_settings(fake.base_url))
    baseline = BaselineClient(fake.base_url)
    try:
        await lsp.start()
        ready = Bench(samples, fake, lsp, baseline)
        fake.script(Script(chunks=["warm", "-up"]))
        for side in SIDES:  # connections opened, lazy imports done
            await ready.chat(side, f"warm-up {side}", "warm-up")
        yield ready
    finally:
        await baseline.aclose()
        await lsp.stop()
        fake.close()


async def peak_rss(pid: int, work: Awaitable[Any]) -> tuple[Any, float]:
    """Run `work` while sampling the process's RSS every 5 ms; its result and the peak (MB)."""
    task = asyncio.ensure_future(work)
    peak = rss_mb(pid)
    while not task.done():
        await asyncio.wait([task], timeout=0.005)
        peak = max(peak, rss_mb(pid))
    return task.result(), peak


def ms(seconds: float) -> float:
    return seconds * 1000
