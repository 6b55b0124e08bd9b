"""Two figures, median and worst of N: model token → LSP client, and cancel → model disconnect.

The fake model server runs on its own thread and event loop, so its clock stamps are not
delayed by the client's work; both sides use `time.perf_counter()` (one monotonic clock).

    python -m bench.latency [--samples 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
from collections import defaultdict
from typing import Any

from bench.rawclient import RawLspClient
from tests.fake_model_server import FakeModelServer, Script


class FakeServerThread:
    """A FakeModelServer on a private event loop in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = FakeModelServer()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.base_url = self.call(self.server.start())

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    async def wait_disconnect(self, request: Any, timeout: float = 5) -> float:
        future = asyncio.run_coroutine_threadsafe(
            self.server.wait_disconnect(request, timeout), self.loop
        )
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)


def summary(values_ms: list[float]) -> str:
    return f"median {statistics.median(values_ms):.2f} ms, worst {max(values_ms):.2f} ms"


async def measure(samples: int) -> dict[str, list[float]]:
    fake = FakeServerThread()
    received: dict[str, list[float]] = defaultdict(list)

    def on_notification(method: str, params: Any, at: float) -> None:
        if method == "ollama/token":
            received[params["token"]].append(at)

    client = RawLspClient(on_notification)
    await client.start({"baseUrl": fake.base_url, "model": "test-model"})
    token_ms: list[float] = []
    cancel_ms: list[float] = []
    try:
        # Token latency: a realistic cadence (50 ms), so every token is its own batch.
        fake.server.script(Script(chunks=[f"t{i} " for i in range(5)], delay_s=0.05))
        for n in range(samples):
            _, done = client.command("ollama.chat", {"prompt": f"q{n}"}, token=f"lat-{n}")
            await done
            request = fake.server.requests[-1]
            for sent, got in zip(request.chunk_times, received[f"lat-{n}"], strict=True):
                token_ms.append((got - sent) * 1000)
        # Cancel latency: $/cancelRequest mid-answer → the model server sees the disconnect.
        fake.server.script(Script(chunks=["x "] * 10_000, delay_s=0.01))
        for n in range(samples):
            request_id, done = client.command("ollama.chat", {"prompt": "c"}, token=f"c-{n}")
            while len(received[f"c-{n}"]) < 3:
                await asyncio.sleep(0.005)
            request = fake.server.requests[-1]
            sent_at = client.notify("$/cancelRequest", {"id": request_id})
            closed_at = await fake.wait_disconnect(request)
            cancel_ms.append((closed_at - sent_at) * 1000)
            await done
    finally:
        await client.stop()
        fake.close()
    return {"token": token_ms, "cancel": cancel_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    figures = asyncio.run(measure(args.samples))
    print(f"model token → LSP client ({len(figures['token'])} tokens): {summary(figures['token'])}")
    print(
        f"$/cancelRequest → model connection closed ({args.samples}): {summary(figures['cancel'])}"
    )
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
