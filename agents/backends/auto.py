"""`backend: "auto"`: Ollama when it answers at `baseUrl`, else the embedded model.

Which one is decided on first use (probing needs async I/O) and kept. A failed decision is not
kept: the next request probes again, so starting Ollama later just works.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import httpx2

from .base import (
    BackendConfig,
    BackendError,
    ChatRequest,
    FillRequest,
    ModelBackend,
    ModelInfo,
    StreamEvent,
)
from .embedded import EmbeddedBackend, unavailable_reason
from .ollama import OllamaBackend

log = logging.getLogger(__name__)

_PROBE_READ_TIMEOUT_S = 5.0


async def ollama_answers(base_url: str, connect_s: float) -> bool:
    """Whether any HTTP server answers Ollama's model list at `base_url`."""
    timeout = httpx2.Timeout(connect=connect_s, read=_PROBE_READ_TIMEOUT_S, write=5.0, pool=None)
    try:
        async with httpx2.AsyncClient(timeout=timeout) as client:
            await client.get(f"{base_url.rstrip('/')}/api/tags")
    except httpx2.HTTPError:
        return False
    return True


class AutoBackend:
    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        self._chosen: ModelBackend | None = None
        self._choosing = asyncio.Lock()
        self.display_name = "Ollama or the embedded model"

    async def chosen(self) -> ModelBackend:
        async with self._choosing:
            if self._chosen is None:
                self._chosen = await self._choose()
                self.display_name = self._chosen.display_name
            return self._chosen

    @property
    def fixed_model(self) -> str | None:
        return self._chosen.fixed_model if self._chosen is not None else None

    async def _choose(self) -> ModelBackend:
        url = self.config.base_url
        if await ollama_answers(url, self.config.timeouts.connect_s):
            log.info("Ollama answers at %s: using it", url)
            return OllamaBackend(self.config)
        reason = unavailable_reason(self.config.embedded)
        if reason is None:
            log.info("No Ollama at %s: using the embedded model", url)
            return EmbeddedBackend(self.config)
        raise BackendError(
            "unreachable",
            f"Cannot reach Ollama at {url} — is `ollama serve` running? Set `ollama.baseUrl` "
            f"otherwise. The embedded model (no server needed) cannot run either: {reason}",
        )

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[StreamEvent]:
        return self._chosen_stream(lambda backend: backend.stream_chat(request))

    def stream_fill(self, request: FillRequest) -> AsyncIterator[StreamEvent]:
        return self._chosen_stream(lambda backend: backend.stream_fill(request))

    async def _chosen_stream(
        self, start: Callable[[ModelBackend], AsyncIterator[StreamEvent]]
    ) -> AsyncIterator[StreamEvent]:
        backend = await self.chosen()
        async with contextlib.aclosing(start(backend)) as events:  # type: ignore[type-var]
            async for event in events:
                yield event

    async def list_models(self) -> list[ModelInfo]:
        return await (await self.chosen()).list_models()

    async def aclose(self) -> None:
        if self._chosen is not None:
            await self._chosen.aclose()
