"""Running generating requests: their progress tokens, cancellation and orderly endings.

Every generating command runs inside `RunningRequests.stream(...)`. Whatever ends it — success,
a model failure, `$/cancelRequest`, `window/workDoneProgress/cancel` or shutdown — the last
batch and the `$/progress` end go out before the response, and the response is the request's
last message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import attrs

from ollama_lsp.agents.backends.base import BackendError

from .protocol import RequestCancelled, RequestFailed
from .streaming import Notify, TokenStream

logger = logging.getLogger(__name__)

#: Cancels of tokens no request carries (yet) that are remembered: a client's cancel may
#: overtake its request's start; older ones were late cancels of finished requests.
EARLY_CANCELS_KEPT = 64


@attrs.frozen
class CommandCall:
    """What a command handler knows of its request besides its arguments."""

    request_id: int | str
    arguments: list[Any] | None
    work_done_token: int | str | None


class RunningRequests:
    def __init__(
        self,
        notify: Notify,
        create_progress: Callable[[str], Awaitable[bool]],
        client_has_progress: Callable[[], bool],
    ) -> None:
        self._notify = notify
        self._create_progress = create_progress
        self._client_has_progress = client_has_progress
        self._tasks: set[asyncio.Task[Any]] = set()
        self._by_token: dict[int | str, asyncio.Task[Any]] = {}
        self._early_cancels: OrderedDict[int | str, None] = OrderedDict()

    async def run(self, call: CommandCall, work: Coroutine[Any, Any, Any]) -> Any:
        """Run a command's coroutine in the current task, answering -32800 when cancelled.

        The client's progress token names the request from its first moment: a
        `window/workDoneProgress/cancel` sent right behind the request stops it too."""
        task = asyncio.current_task()
        assert task is not None
        token = call.work_done_token
        if token is not None:
            if token in self._early_cancels:
                del self._early_cancels[token]
                work.close()
                raise RequestCancelled()
            self._by_token[token] = task
        self._tasks.add(task)
        try:
            return await work
        except asyncio.CancelledError:
            raise RequestCancelled() from None
        finally:
            self._tasks.discard(task)
            if token is not None:
                self._by_token.pop(token, None)

    @contextlib.asynccontextmanager
    async def stream(
        self, call: CommandCall, *, title: str, label: str, flush_interval_s: float
    ) -> AsyncIterator[TokenStream]:
        progress_token = await self._progress_token(call)
        stream = TokenStream(
            self._notify,
            route_token=progress_token if progress_token is not None else call.request_id,
            progress_token=progress_token,
            flush_interval_s=flush_interval_s,
            label=label,
        )
        #: A token of the server's own (the client's is registered by `run` already).
        own_token = progress_token if progress_token != call.work_done_token else None
        task = asyncio.current_task()
        assert task is not None
        if own_token is not None:
            self._by_token[own_token] = task
        stream.begin(title)
        try:
            yield stream
        except asyncio.CancelledError:
            stream.end("Cancelled")
            raise RequestCancelled() from None
        except BackendError as error:
            stream.end(error.message)
            raise RequestFailed(
                error.kind, error.message, stream.partial_text(), stream.stage
            ) from None
        except RequestFailed as error:  # a failure the handler diagnosed itself
            stream.end(error.message)
            raise
        except BaseException:
            stream.end("Failed: internal error (see the server log)")
            raise
        else:
            stream.end("Done")
        finally:
            if own_token is not None:
                self._by_token.pop(own_token, None)

    def cancel_by_token(self, token: int | str) -> None:
        """`window/workDoneProgress/cancel`: a token of no running request is kept for a while (its
        request may not have started yet), never reported."""
        task = self._by_token.pop(token, None)
        if task is not None:
            task.cancel()
            return
        self._early_cancels[token] = None
        while len(self._early_cancels) > EARLY_CANCELS_KEPT:
            self._early_cancels.popitem(last=False)

    async def cancel_all(self) -> None:
        """Abort every request in flight and wait until each has answered."""
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_idle(self) -> None:
        """Return once the requests running now have finished (without cancelling them)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks))

    async def _progress_token(self, call: CommandCall) -> int | str | None:
        if call.work_done_token is not None:
            return call.work_done_token
        if not self._client_has_progress():
            return None
        token = f"ollama-{uuid.uuid4()}"
        return token if await self._create_progress(token) else None
