"""Cancels at any moment — waiting for a pool slot, connecting, reading headers, streaming —
leak no connection-pool slot and no socket (issue: httpx/httpcore#1093, a request cancelled
while it waits for or opens a connection kept its slot until every later chat hung)."""

from __future__ import annotations

import asyncio
import random

import attrs

from fake_model_server import FakeModelServer, Script
from ollama_lsp.agents.backends import BackendConfig, OllamaBackend, OpenAIBackend
from tests.support import FAST, chat, collect, text_of

STORMS = 700  # of three requests each: 2,100 cancels
SLOW = Script(chunks=[f"t{i} " for i in range(40)], delay_s=0.005)


async def _storm(backend: OllamaBackend | OpenAIBackend, rng: random.Random) -> None:
    async def one() -> None:
        async for _ in backend.stream_chat(chat()):
            pass

    for _ in range(STORMS):
        tasks = [asyncio.ensure_future(one()) for _ in range(3)]
        await asyncio.sleep(rng.uniform(0, 0.004))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_thousands_of_cancels_with_a_pool_of_one_leave_it_usable(fake: FakeModelServer):
    rng = random.Random(1093)
    fake.script(SLOW)
    for backend_class, base_url in ((OllamaBackend, fake.base_url), (OpenAIBackend, fake.base_url)):
        config = BackendConfig(base_url=base_url, timeouts=FAST, max_connections=1)
        backend = backend_class(config)
        try:
            await _storm(backend, rng)
            fake.script(attrs.evolve(SLOW, delay_s=0))
            assert text_of(await collect(backend)) == "".join(SLOW.chunks)
            assert fake.open_connections <= 1  # the pool's one keep-alive connection at most
            fake.script(SLOW)
        finally:
            await backend.aclose()
        async with asyncio.timeout(5):
            while fake.open_connections:
                await asyncio.sleep(0.01)
