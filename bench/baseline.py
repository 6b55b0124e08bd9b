"""The baseline: a plain httpx client reading the model server directly over loopback.

It parses every NDJSON line as any consumer must; nothing can deliver the model's tokens faster,
so ollama-lsp's figures are given as overheads or ratios against it.

    python -m bench.baseline BASE_URL PROMPT

is the baseline of start-up: a fresh process that prints READY once its imports are done, FIRST
at the answer's first token, DONE at its end, then idles until stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable

import httpx

from bench.answers import MODEL, Answer

#: Called after each piece; returning True stops reading and closes the connection.
OnPiece = Callable[[Answer], bool]


class BaselineClient:
    def __init__(self, base_url: str) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, timeout=None)
        #: perf_counter() of the last close decided by `on_piece`.
        self.closed_at = 0.0

    async def chat(
        self, prompt: str, on_piece: OnPiece | None = None, *, stall_s: float = 0
    ) -> Answer:
        """One streamed answer. When `on_piece` says stop, the stream is left unread for
        `stall_s` (a slow reader), then closed."""
        body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}], "stream": True}
        return await self._stream("/api/chat", body, on_piece, stall_s)

    async def fill(self, prefix: str, suffix: str, on_piece: OnPiece) -> Answer:
        """One streamed fill-in-the-middle answer (`/api/generate`), closed when `on_piece`
        says stop."""
        body = {"model": MODEL, "prompt": prefix, "suffix": suffix, "stream": True}
        return await self._stream("/api/generate", body, on_piece, 0)

    async def _stream(
        self, path: str, body: dict[str, object], on_piece: OnPiece | None, stall_s: float
    ) -> Answer:
        answer = Answer(sent_at=time.perf_counter())
        async with self._http.stream("POST", path, json=body) as response:
            async for line in response.aiter_lines():
                if not line:
                    continue
                data = json.loads(line)
                at = time.perf_counter()
                text = data["message"]["content"] if "message" in data else data["response"]
                if text:
                    answer.add(text, at)
                if data["done"]:
                    answer.done_at = at
                    break
                if on_piece is not None and on_piece(answer):
                    await asyncio.sleep(stall_s)
                    self.closed_at = time.perf_counter()
                    await response.aclose()
                    break
        return answer

    async def aclose(self) -> None:
        await self._http.aclose()


async def _main(base_url: str, prompt: str) -> None:
    client = BaselineClient(base_url)
    print("READY", flush=True)

    def on_piece(answer: Answer) -> bool:
        if len(answer.pieces) == 1:
            print("FIRST", flush=True)
        return False

    await client.chat(prompt, on_piece)
    print("DONE", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await client.aclose()


if __name__ == "__main__":
    asyncio.run(_main(*sys.argv[1:3]))
