"""The fake model server: routes each request to its API's dialect, records every chat and fill
request and plays the script that answers it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import attrs

from fake_model_server.connection import ClientGone, Connection, HttpRequest
from fake_model_server.dialect import Api, Dialect, json_bytes
from fake_model_server.ollama import Ollama
from fake_model_server.openai import OpenAI
from fake_model_server.script import (
    DRIBBLE_PAUSE_S,
    ENDLESS_LINE_BYTES,
    Failure,
    Pause,
    Script,
    Scripts,
    Write,
)

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_MODELS = ("smollm2", "qwen2.5-coder:1.5b", "test-model")
DIALECTS: tuple[Dialect, ...] = (Ollama(), OpenAI())
_JSON = "application/json; charset=utf-8"


@attrs.define(eq=False)
class RecordedRequest:
    """One chat request as the server saw it."""

    path: str
    body: Any
    #: Request headers, names lower-cased.
    headers: dict[str, str]
    api: Api
    #: Which TCP connection carried the request (1, 2, ... per server): keep-alive reuse shows
    #: as two requests with the same id.
    connection_id: int
    #: A fill-in-the-middle request (code completion), not a chat.
    fill: bool = False
    #: perf_counter() when each thinking/content chunk's write completed.
    chunk_times: list[float] = attrs.Factory(list)
    #: The scripted answer was sent completely (including error answers and a mid-stream error).
    finished: bool = False
    #: perf_counter() when the server noticed the client closed the connection before the
    #: answer was finished.
    disconnected_at: float | None = None
    disconnect: asyncio.Event = attrs.Factory(asyncio.Event)

    @property
    def chunks_sent(self) -> int:
        return len(self.chunk_times)

    @property
    def last_user_message(self) -> str:
        """The chat's last user message, or a fill's prompt: what scripts are matched on."""
        if self.fill:
            prompt = self.body.get("prompt") if isinstance(self.body, dict) else None
            return prompt if isinstance(prompt, str) else ""
        messages = self.body.get("messages") if isinstance(self.body, dict) else None
        for message in reversed(messages or []):
            if isinstance(message, dict) and message.get("role") == "user":
                content = message.get("content")
                return content if isinstance(content, str) else json.dumps(content)
        return ""


class FakeModelServer:
    """Fake Ollama / OpenAI-compatible model server; see the package docstring."""

    def __init__(
        self,
        *,
        port: int = 0,
        on_disconnect: Callable[[RecordedRequest], None] | None = None,
        on_chunk: Callable[[RecordedRequest], None] | None = None,
        on_request: Callable[[RecordedRequest], None] | None = None,
    ) -> None:
        self.models: list[str] = list(DEFAULT_MODELS)
        #: Models that cannot fill in the middle (Ollama refuses a `suffix` for them).
        self.models_without_fim: set[str] = set()
        self.scripts = Scripts()
        self.requests: list[RecordedRequest] = []
        self.base_url = ""
        self.port = port
        self.on_disconnect = on_disconnect
        #: Called after each write of answer text (e.g. to time when a token left the server).
        self.on_chunk = on_chunk
        #: Called as each chat or fill request arrives, before it is answered.
        self.on_request = on_request
        self._server: asyncio.Server | None = None
        self._connections: dict[Connection, asyncio.Task[Any]] = {}
        self._conn_ids = itertools.count(1)
        self._arrived: asyncio.Condition | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> str:
        self._arrived = asyncio.Condition()
        self._server = await asyncio.start_server(self._handle, HOST, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://{HOST}:{self.port}"
        return self.base_url

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        tasks = list(self._connections.values())
        for conn, task in list(self._connections.items()):
            conn.kill()
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await server.wait_closed()

    async def __aenter__(self) -> FakeModelServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def open_connections(self) -> int:
        """Connections a client holds open now (a leaked socket shows here)."""
        return len(self._connections)

    # --- scripting -------------------------------------------------------------------------

    def script(self, script: Script, *, match: str | None = None) -> None:
        """Answer chats whose last user message contains `match` with `script`.

        Newest registration wins; `match=None` replaces the default script.
        """
        self.scripts.add(script, match)

    def clear_scripts(self) -> None:
        self.scripts.clear()

    # --- waiting ---------------------------------------------------------------------------

    async def wait_for_request(self, n: int = 1, timeout: float = 5.0) -> RecordedRequest:
        """Wait until at least `n` chat requests arrived; return the n-th (1-based)."""
        assert self._arrived is not None, "server not started"
        async with asyncio.timeout(timeout), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= n)
        return self.requests[n - 1]

    async def wait_disconnect(self, request: RecordedRequest, timeout: float = 5.0) -> float:
        """Wait until the client of `request` left before the answer was finished.

        Returns the perf_counter() of the detection.
        """
        async with asyncio.timeout(timeout):
            await request.disconnect.wait()
        assert request.disconnected_at is not None
        return request.disconnected_at

    # --- connections -----------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(reader, writer, next(self._conn_ids))
        task = asyncio.current_task()
        assert task is not None
        self._connections[conn] = task
        try:
            while True:
                try:
                    request = await conn.read_request()
                except (ValueError, UnicodeError):
                    await conn.send(400, b"bad request\n", "text/plain", keep_alive=False)
                    break
                if request is None:
                    break
                if not await self._dispatch(conn, request) or not request.keep_alive:
                    break
        except (ClientGone, asyncio.CancelledError):
            pass
        except Exception:
            log.exception("fake model server: connection handler failed")
        finally:
            self._connections.pop(conn, None)
            await conn.close()

    async def _dispatch(self, conn: Connection, request: HttpRequest) -> bool:
        """Answer one request; return whether the connection may carry another one."""
        for dialect in DIALECTS:
            if request.route == ("POST", dialect.chat_path):
                return await self._chat(conn, request, dialect, fill=False)
            if request.route == ("POST", dialect.fill_path):
                return await self._chat(conn, request, dialect, fill=True)
            if request.route == ("GET", dialect.models_path):
                listing = json_bytes(dialect.models(self.models))
                return await conn.send(200, listing, _JSON, request.keep_alive)
        return await conn.send(404, b"404 page not found", "text/plain", request.keep_alive)

    def _mark_disconnected(self, request: RecordedRequest) -> None:
        if request.finished or request.disconnected_at is not None:
            return
        request.disconnected_at = time.perf_counter()
        request.disconnect.set()
        if self.on_disconnect is not None:
            try:
                self.on_disconnect(request)
            except Exception:
                log.exception("fake model server: on_disconnect callback failed")

    # --- chats -----------------------------------------------------------------------------

    async def _chat(
        self, conn: Connection, http: HttpRequest, dialect: Dialect, *, fill: bool
    ) -> bool:
        keep = http.keep_alive
        try:
            body = json.loads(http.body or b"null")
        except ValueError:
            body = None
        record = RecordedRequest(
            http.target, body, dict(http.headers), dialect.name, conn.id, fill=fill
        )
        self.requests.append(record)
        if self.on_request is not None:
            self.on_request(record)
        if self._arrived is not None:
            async with self._arrived:
                self._arrived.notify_all()

        async def fail(status: int, message: str) -> bool:
            record.finished = True
            error = json_bytes(dialect.error_body(message, status))
            return await conn.send(status, error, _JSON, keep)

        if not isinstance(body, dict):
            return await fail(400, "invalid JSON request body")
        if not self._knows(body.get("model")):
            return await fail(404, dialect.unknown_model(body.get("model")))
        if record.fill and (refusal := dialect.fill_refusal(body, self.models_without_fim)):
            return await fail(400, refusal)
        script = self.scripts.for_message(record.last_user_message)
        error = script.error.replace("{authorization}", http.headers.get("authorization", ""))
        conn.on_gone = lambda: self._mark_disconnected(record)
        try:
            if script.head_delay_s:
                await conn.pause(script.head_delay_s)
            if script.status != 200:
                return await fail(script.status, error)
            if script.page is not None:
                record.finished = True
                return await conn.send(200, script.page.encode(), script.content_type, keep)
            return await self._stream(conn, record, script, dialect, error, keep)
        except ClientGone:
            self._mark_disconnected(record)
            return False
        finally:
            conn.on_gone = None

    def _knows(self, model: object) -> bool:
        if not isinstance(model, str):
            return False
        names = set(self.models)
        return model in names or (
            model.endswith(":latest") and model.removesuffix(":latest") in names
        )

    async def _stream(
        self,
        conn: Connection,
        record: RecordedRequest,
        script: Script,
        dialect: Dialect,
        error: str,
        keep: bool,
    ) -> bool:
        """Stream the scripted answer (always: this server has no whole-answer mode)."""
        answer = dialect.fill_answer(record.body) if record.fill else dialect.answer(record.body)
        await conn.send_head(200, {**dialect.stream_headers, "Transfer-Encoding": "chunked"}, keep)
        failed = False
        for step in script.steps():
            match step:
                case Pause(seconds):
                    await conn.pause(seconds)
                case Write(kind, texts):
                    await conn.write_chunk(answer.deltas(kind, texts), script.write_size)
                    record.chunk_times += [time.perf_counter()] * len(texts)
                    if self.on_chunk is not None:
                        self.on_chunk(record)
                case Failure.GARBAGE:
                    await conn.write_chunk(dialect.garbage, script.write_size)
                case Failure.ERROR:  # the last step
                    failed = True
                case Failure.DROP:
                    await conn.abort()
                    return False
                case Failure.STALL:
                    await conn.wait_gone()
                case Failure.DRIBBLE:
                    await conn.write_chunk(answer.line_start())
                    while True:
                        await conn.pause(DRIBBLE_PAUSE_S)
                        await conn.write_chunk(b"x")
                case Failure.ENDLESS_LINE:
                    await conn.write_chunk(answer.line_start())
                    piece = b"x" * 65536
                    for _ in range(ENDLESS_LINE_BYTES // len(piece)):
                        await conn.write_chunk(piece)
                    await conn.wait_gone()
        if failed:
            last = answer.error(error)
        else:
            last = answer.end(script.done_reason, script.usage(record.body))
        await conn.write_chunk(last, script.write_size)
        await conn.end_chunks()
        record.finished = True
        return keep
