"""The fake model server in a process of its own, like a real Ollama.

In the benchmark's process it would share the GIL with the clients: the baseline client, which
parses every line itself, would slow it down and be slowed by it, while ollama-lsp parses in its
own process — a comparison that flatters ollama-lsp. So `FakeServer` runs a `FakeServerThread`
(the server on its own thread and event loop, so its stamps are not delayed by request handling)
in a child process and talks to it through a multiprocessing manager. The stamps it returns
(`chunk_times`, `disconnected_at`) are `time.perf_counter()` values, which on Linux come from
CLOCK_MONOTONIC and so compare across processes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from multiprocessing.managers import BaseManager
from typing import Any, NamedTuple

from fake_model_server import FakeModelServer, RecordedRequest, Script


class FillRecord(NamedTuple):
    """A fill request as the benchmark needs it (picklable, for the manager)."""

    prompt: str
    #: perf_counter() when each chunk's write completed.
    chunk_times: list[float]
    #: perf_counter() when the client left before the end, if it did.
    disconnected_at: float | None


class FakeServerThread:
    """A FakeModelServer on a private event loop in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = FakeModelServer()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.base_url = self.call(self.server.start())

    def call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def url(self) -> str:
        return self.base_url

    def script(self, script: Script, match: str | None = None) -> None:
        self.server.script(script, match=match)

    def clear_scripts(self) -> None:
        self.server.clear_scripts()

    def request_for(self, prompt: str, timeout: float = 5) -> RecordedRequest:
        """The chat request whose last user message is `prompt`, once it has arrived."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            for request in reversed(self.server.requests):
                if request.last_user_message == prompt:
                    return request
            time.sleep(0.0005)
        raise TimeoutError(f"no chat request {prompt!r}")

    def chunk_times(self, prompt: str) -> list[float]:
        return list(self.request_for(prompt).chunk_times)

    def wait_disconnect(self, prompt: str, timeout: float = 5) -> float:
        """When the server saw the client of `prompt` leave before the answer's end."""
        return self.call(self.server.wait_disconnect(self.request_for(prompt), timeout))

    def open_connections(self) -> int:
        return self.server.open_connections

    def fills(self) -> list[FillRecord]:
        """Every fill-in-the-middle request so far, in arrival order."""
        return [
            FillRecord(r.body.get("prompt", ""), list(r.chunk_times), r.disconnected_at)
            for r in self.server.requests
            if r.fill and isinstance(r.body, dict)
        ]

    def close(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)


class _Manager(BaseManager):
    pass


_Manager.register("FakeServerThread", FakeServerThread)


class FakeServer:
    """A `FakeServerThread` in a child process; the waits run in threads, off the event loop."""

    def __init__(self) -> None:
        self._manager = _Manager(ctx=multiprocessing.get_context("spawn"))
        self._manager.start()
        self._remote: Any = self._manager.FakeServerThread()  # type: ignore[attr-defined]
        self.base_url: str = self._remote.url()

    def script(self, script: Script, match: str | None = None) -> None:
        """Answer chats whose last user message contains `match` (all: None) with `script`."""
        self._remote.script(script, match)

    def clear_scripts(self) -> None:
        self._remote.clear_scripts()

    async def chunk_times(self, prompt: str) -> list[float]:
        """perf_counter() when each chunk of the answer to `prompt` was written."""
        return await asyncio.to_thread(self._remote.chunk_times, prompt)

    async def wait_disconnect(self, prompt: str) -> float:
        return await asyncio.to_thread(self._remote.wait_disconnect, prompt)

    def open_connections(self) -> int:
        """Connections a client holds open on the fake server now."""
        return int(self._remote.open_connections())

    def fills(self) -> list[FillRecord]:
        return list(self._remote.fills())

    def close(self) -> None:
        self._remote.close()
        self._manager.shutdown()
