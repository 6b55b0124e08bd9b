"""The server process: start-up time and memory (VmRSS from /proc).

The baseline process is `python -m bench.baseline`: Python with httpx, streaming one chat.
"""

from __future__ import annotations

import asyncio
import sys
import time

import attrs

from bench.answers import LspChats
from bench.harness import Bench, lsp_settings, ms
from bench.report import Limit, Row, latency_row, rss_mb, value_row
from fake_model_server import Script

#: The answer of every chat here: a few short tokens, at once.
CHUNKS = ["Hello", ", ", "world", "!"]
WARM_UP_CHATS = 20


@attrs.frozen
class BaselineProcess:
    ready_s: float
    first_token_s: float
    #: RSS once the answer is done.
    rss_mb: float


async def run_baseline_process(base_url: str, prompt: str) -> BaselineProcess:
    spawned_at = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.baseline",
        base_url,
        prompt,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdin and process.stdout
    seen = {}
    for expected in (b"READY", b"FIRST", b"DONE"):
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        seen[expected] = time.perf_counter()
        assert line.strip() == expected, f"baseline process said {line!r}, not {expected!r}"
    rss = rss_mb(process.pid)
    process.stdin.close()
    await process.wait()
    return BaselineProcess(seen[b"READY"] - spawned_at, seen[b"FIRST"] - spawned_at, rss)


async def startup(bench: Bench) -> list[Row]:
    """Spawn → `initialize` result, and spawn → the first token of a chat sent right after."""
    bench.fake.script(Script(chunks=CHUNKS))
    ready: dict[str, list[float]] = {"baseline": [], "lsp": []}
    first: dict[str, list[float]] = {"baseline": [], "lsp": []}
    for n in range(bench.samples.startups):
        baseline = await run_baseline_process(bench.fake.base_url, f"start-up {n} baseline")
        ready["baseline"].append(ms(baseline.ready_s))
        first["baseline"].append(ms(baseline.first_token_s))
        lsp = LspChats(lsp_settings(bench.fake.base_url))
        ready["lsp"].append(ms(await lsp.start()))
        answer = lsp.chat(f"start-up {n}")
        await answer.finish()
        bench.invariants.answer(answer, "".join(CHUNKS))
        first["lsp"].append(ms(answer.pieces[0][1] - lsp.client.spawned_at))
        await lsp.stop()
    return [
        latency_row(
            "Start-up: spawn → `initialize` result (baseline: imports done), ms",
            ready["baseline"],
            ready["lsp"],
            "p50 ≤ 500",
            (Limit("lsp_p50", 500),),
        ),
        latency_row("Start-up: spawn → first chat token, ms", first["baseline"], first["lsp"]),
    ]


async def memory(bench: Bench) -> list[Row]:
    """RSS of a fresh server after one chat, and its growth over many chats in a row."""
    bench.fake.script(Script(chunks=CHUNKS))
    expected = "".join(CHUNKS)
    baseline = await run_baseline_process(bench.fake.base_url, "memory baseline")
    lsp = LspChats(lsp_settings(bench.fake.base_url))
    await lsp.start()
    try:
        await bench.chat("lsp", "memory 0", expected, lsp)
        idle = rss_mb(lsp.client.pid)
        for n in range(WARM_UP_CHATS):
            await bench.chat("lsp", f"memory warm-up {n}", expected, lsp)
        before = rss_mb(lsp.client.pid)
        chats = bench.samples.chats_in_a_row
        for n in range(chats):
            await bench.chat("lsp", f"memory {n}", expected, lsp)
        growth = rss_mb(lsp.client.pid) - before
    finally:
        await lsp.stop()
    return [
        value_row(
            "Memory: RSS idle, after one chat (baseline: Python + httpx), MB",
            baseline.rss_mb,
            idle,
            "≤ 80",
            (Limit("lsp", 80),),
        ),
        value_row(
            f"Memory: RSS growth over {chats} chats in a row, MB",
            None,
            growth,
            "≤ 5",
            (Limit("lsp", 5),),
        ),
    ]
