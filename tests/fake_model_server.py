"""A scriptable fake model server over real loopback HTTP/1.1.

It speaks the wire formats of Ollama's native API (`POST /api/chat`, `GET /api/tags`) and of the
OpenAI-compatible API (`POST /v1/chat/completions`, `GET /v1/models`). HTTP is written by hand
on top of `asyncio.start_server` so that tests control chunking, drops and stalls exactly, and
the server notices a client leaving at once (the connection is read for EOF all the time, also
while the server sleeps between chunks or stalls).

Use from tests::

    async with FakeModelServer() as server:
        server.script(Script(chunks=["a", "b"], delay_s=0.05))
        ...  # point a backend at server.base_url
        request = await server.wait_for_request()
        await server.wait_disconnect(request)

Standalone (benchmarks, end-to-end tests)::

    python -m tests.fake_model_server --port 0 [--script FILE] [--delay-s 0.05]
        [--chunks-from-text "some text"] [--log-disconnects]

prints `READY http://127.0.0.1:PORT` as its first stdout line and serves until killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import re
import signal
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Literal

import attrs

log = logging.getLogger(__name__)

DEFAULT_MODELS = ("smollm2", "qwen2.5-coder:1.5b", "test-model")

#: Pause between two partial writes when `Script.write_size` is set.
_PARTIAL_WRITE_PAUSE_S = 0.001
_MAX_HEAD_BYTES = 64 * 1024

Api = Literal["ollama", "openai"]


@attrs.define
class Script:
    """How the server answers one chat request."""

    #: Content pieces, one NDJSON line / SSE event each.
    chunks: list[str] = attrs.Factory(lambda: ["Hello", ", ", "world", "!"])
    #: Thinking pieces, sent before the content.
    thinking: list[str] = attrs.Factory(list)
    #: Pause before each chunk after the first.
    delay_s: float = 0.0
    #: Pause after the response headers, before the first chunk.
    first_delay_s: float = 0.0
    #: Pause before the response headers (Ollama sends its headers with the first chunk, so
    #: a model that is still loading looks like this).
    head_delay_s: float = 0.0
    #: != 200: answer that status with the API's error body carrying `error`, at once.
    status: int = 200
    error: str = "boom"
    #: After N content chunks send the API's mid-stream error and end the stream cleanly.
    error_after: int | None = None
    #: After N chunks (thinking + content) abort the TCP connection (no terminating chunk).
    drop_after: int | None = None
    #: After N chunks send nothing more; keep the connection open until the client leaves.
    stall_after: int | None = None
    #: After N chunks send one malformed (non-JSON) line, then continue.
    garbage_after: int | None = None
    done_reason: str = "stop"
    #: Write the response body in pieces of this many bytes (drain + tiny sleep between) so
    #: UTF-8 characters and lines are split across TCP reads.
    write_size: int | None = None
    #: Token counts reported at the end; default: words of the request's messages / pieces sent.
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    #: Send this many chunks (NDJSON lines / SSE events) per write — the same bytes, fewer
    #: syscalls — so a burst is not limited by this server. Needs no delay and no failures.
    lines_per_write: int = 1

    def __attrs_post_init__(self) -> None:
        hooks = (self.error_after, self.drop_after, self.stall_after, self.garbage_after)
        if self.lines_per_write > 1 and (self.delay_s or any(h is not None for h in hooks)):
            raise ValueError("lines_per_write > 1 is for bursts: no delay_s, no *_after")


@attrs.define(eq=False)
class RecordedRequest:
    """One chat request as the server saw it."""

    path: str
    body: Any
    received_at: float
    method: str = "POST"
    #: Request headers, names lower-cased.
    headers: dict[str, str] = attrs.Factory(dict)
    api: Api = "ollama"
    #: Which TCP connection carried the request (1, 2, ... per server): keep-alive reuse shows
    #: as two requests with the same id.
    connection_id: int = 0
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
        messages = self.body.get("messages") if isinstance(self.body, dict) else None
        for message in reversed(messages or []):
            if isinstance(message, dict) and message.get("role") == "user":
                content = message.get("content")
                return content if isinstance(content, str) else json.dumps(content)
        return ""


class _ClientGone(Exception):
    """The client closed the connection."""


@attrs.define
class _HttpRequest:
    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


class _Connection:
    """One TCP connection: a reader task buffers input and notices EOF at once."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        conn_id: int,
        on_gone: Callable[[RecordedRequest], None],
    ) -> None:
        self.id = conn_id
        self._reader = reader
        self._writer = writer
        self._on_gone = on_gone
        self._buffer = bytearray()
        self._data = asyncio.Event()
        self.eof = asyncio.Event()
        self.eof_at: float | None = None
        #: The request whose answer is being streamed: if the client leaves meanwhile it is
        #: recorded as a disconnect.
        self.active: RecordedRequest | None = None
        self.aborted = False
        self._pump_task = asyncio.create_task(self._pump())

    async def _pump(self) -> None:
        try:
            while True:
                data = await self._reader.read(65536)
                if not data:
                    break
                self._buffer += data
                self._data.set()
        except (ConnectionError, OSError):
            pass
        finally:
            self.eof_at = time.perf_counter()
            self.eof.set()
            self._data.set()
            if self.active is not None and not self.aborted:
                self._on_gone(self.active)

    @property
    def gone(self) -> bool:
        return self.eof.is_set() or self._writer.transport.is_closing()

    async def _wait_data(self) -> bool:
        if self.eof.is_set():
            return False
        self._data.clear()
        await self._data.wait()
        return True

    async def read_until(self, separator: bytes, limit: int) -> bytes | None:
        while True:
            index = self._buffer.find(separator)
            if index >= 0:
                end = index + len(separator)
                data = bytes(self._buffer[:end])
                del self._buffer[:end]
                return data
            if len(self._buffer) > limit:
                raise ValueError("request head too large")
            if not await self._wait_data():
                return None

    async def read_exactly(self, n: int) -> bytes | None:
        while len(self._buffer) < n:
            if not await self._wait_data():
                return None
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    async def read_request(self) -> _HttpRequest | None:
        head = await self.read_until(b"\r\n\r\n", _MAX_HEAD_BYTES)
        if head is None:
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = await self._read_chunked_body()
        else:
            body = await self.read_exactly(int(headers.get("content-length", "0") or 0))
        if body is None:
            return None
        return _HttpRequest(method.upper(), target, version.strip(), headers, body)

    async def _read_chunked_body(self) -> bytes | None:
        body = bytearray()
        while True:
            size_line = await self.read_until(b"\r\n", _MAX_HEAD_BYTES)
            if size_line is None:
                return None
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                # Trailers, then the empty line.
                while True:
                    trailer = await self.read_until(b"\r\n", _MAX_HEAD_BYTES)
                    if trailer is None or trailer == b"\r\n":
                        return bytes(body)
            data = await self.read_exactly(size + 2)
            if data is None:
                return None
            body += data[:-2]

    async def write(self, data: bytes) -> None:
        if self.gone:
            raise _ClientGone
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, OSError, RuntimeError) as exc:
            raise _ClientGone from exc

    async def write_chunk(self, data: bytes, write_size: int | None = None) -> None:
        """Write `data` as chunked-encoding chunk(s), split into `write_size` bytes if set."""
        if not data:
            return
        if not write_size:
            await self.write(b"%x\r\n%b\r\n" % (len(data), data))
            return
        for start in range(0, len(data), write_size):
            if start:
                await self.pause(_PARTIAL_WRITE_PAUSE_S)
            piece = data[start : start + write_size]
            await self.write(b"%x\r\n%b\r\n" % (len(piece), piece))

    async def end_chunks(self) -> None:
        await self.write(b"0\r\n\r\n")

    async def pause(self, seconds: float) -> None:
        """Sleep, but raise `_ClientGone` as soon as the client leaves."""
        if self.gone:
            raise _ClientGone
        if seconds <= 0:
            return
        try:
            async with asyncio.timeout(seconds):
                await self.eof.wait()
        except TimeoutError:
            return
        raise _ClientGone

    async def wait_gone(self) -> None:
        await self.eof.wait()
        raise _ClientGone

    async def abort(self) -> None:
        """Kill the connection without a terminating chunk."""
        self.aborted = True
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):
            await self._writer.drain()
        self._writer.transport.abort()

    async def close(self) -> None:
        self._pump_task.cancel()
        with contextlib.suppress(BaseException):
            await self._pump_task
        with contextlib.suppress(Exception):
            self._writer.close()

    def kill(self) -> None:
        self.aborted = True
        self._writer.transport.abort()


def _now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


_json_string = json.JSONEncoder(ensure_ascii=False).encode


def _ollama_delta(model: str, created_at: str, kind: str, text: str) -> bytes:
    """One thinking / content line of Ollama's stream: the bytes `_json_bytes` gives for
    {"model", "created_at", "message": {"role", "content"[, "thinking"]}, "done": false}, from a
    template (0.3 µs instead of 9), so that a burst is not limited by this server."""
    quoted = _json_string(text)
    message = f'"content":"","thinking":{quoted}' if kind == "thinking" else f'"content":{quoted}'
    return (
        f'{{"model":{_json_string(model)},"created_at":"{created_at}",'
        f'"message":{{"role":"assistant",{message}}},"done":false}}\n'
    ).encode()


def _words(text: str) -> list[str]:
    """Split `text` into word pieces that join back to the text exactly."""
    return re.findall(r"\s*\S+|\s+$", text)


class FakeModelServer:
    """Fake Ollama / OpenAI-compatible model server; see the module docstring."""

    def __init__(
        self,
        *,
        models: list[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        on_disconnect: Callable[[RecordedRequest], None] | None = None,
    ) -> None:
        self.models: list[str] = list(DEFAULT_MODELS if models is None else models)
        self.default_script = Script()
        self.requests: list[RecordedRequest] = []
        self.base_url = ""
        self.host = host
        self.port = port
        self.on_disconnect = on_disconnect
        self._scripts: list[tuple[str | None, Script]] = []
        self._server: asyncio.Server | None = None
        self._connections: dict[_Connection, asyncio.Task[Any]] = {}
        self._conn_ids = itertools.count(1)
        self._arrived: asyncio.Condition | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> str:
        self._arrived = asyncio.Condition()
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        self.base_url = f"http://{self.host}:{self.port}"
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

    # --- scripting -------------------------------------------------------------------------

    def script(self, script: Script, *, match: str | None = None) -> None:
        """Answer chats whose last user message contains `match` with `script`.

        Newest registration wins; `match=None` replaces the default script.
        """
        if match is None:
            self.default_script = script
        else:
            self._scripts.insert(0, (match, script))

    def clear_scripts(self) -> None:
        self._scripts.clear()
        self.default_script = Script()

    def _script_for(self, request: RecordedRequest) -> Script:
        text = request.last_user_message
        for match, script in self._scripts:
            if match is not None and match in text:
                return script
        return self.default_script

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

    # --- connection handling ---------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Connection(reader, writer, next(self._conn_ids), self._mark_disconnected)
        task = asyncio.current_task()
        assert task is not None
        self._connections[conn] = task
        try:
            while True:
                try:
                    request = await conn.read_request()
                except (ValueError, UnicodeError):
                    await self._send_plain(conn, 400, b"bad request\n", keep_alive=False)
                    break
                if request is None:
                    break
                if not await self._dispatch(conn, request) or not request.keep_alive:
                    break
        except _ClientGone:
            pass
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("fake model server: connection handler failed")
        finally:
            self._connections.pop(conn, None)
            await conn.close()

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

    async def _dispatch(self, conn: _Connection, request: _HttpRequest) -> bool:
        """Answer one request; return whether the connection may carry another one."""
        path = request.target.split("?", 1)[0]
        route = (request.method, path.rstrip("/") or "/")
        if route == ("POST", "/api/chat"):
            return await self._chat(conn, request, "ollama")
        if route == ("POST", "/v1/chat/completions"):
            return await self._chat(conn, request, "openai")
        if route == ("GET", "/api/tags"):
            return await self._send_json(conn, 200, self._tags(), request.keep_alive)
        if route == ("GET", "/v1/models"):
            return await self._send_json(conn, 200, self._v1_models(), request.keep_alive)
        if route == ("GET", "/"):
            return await self._send_plain(conn, 200, b"Ollama is running", request.keep_alive)
        return await self._send_plain(conn, 404, b"404 page not found", request.keep_alive)

    def _tags(self) -> dict[str, Any]:
        models = []
        for index, name in enumerate(self.models):
            model = name if ":" in name else f"{name}:latest"
            models.append(
                {
                    "name": model,
                    "model": model,
                    "modified_at": f"2025-01-0{index % 9 + 1}T12:00:00.000000000Z",
                    "size": 100_000_000 * (index + 1),
                    "digest": hashlib.sha256(model.encode()).hexdigest(),
                    "details": {
                        "parent_model": "",
                        "format": "gguf",
                        "family": "llama",
                        "families": ["llama"],
                        "parameter_size": "1.7B",
                        "quantization_level": "Q8_0",
                    },
                }
            )
        return {"models": models}

    def _v1_models(self) -> dict[str, Any]:
        data = [
            {"id": name, "object": "model", "created": 1_735_732_800, "owned_by": "library"}
            for name in self.models
        ]
        return {"object": "list", "data": data}

    def _knows(self, model: Any) -> bool:
        if not isinstance(model, str):
            return False
        names = set(self.models)
        return model in names or (
            model.endswith(":latest") and model.removesuffix(":latest") in names
        )

    # --- responses -------------------------------------------------------------------------

    async def _send_head(
        self,
        conn: _Connection,
        status: int,
        headers: dict[str, str],
        keep_alive: bool,
    ) -> None:
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        headers = {"Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()), **headers}
        if not keep_alive:
            headers["Connection"] = "close"
        lines += [f"{name}: {value}" for name, value in headers.items()]
        await conn.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    async def _send_plain(
        self,
        conn: _Connection,
        status: int,
        body: bytes,
        keep_alive: bool,
        content_type: str = "text/plain; charset=utf-8",
    ) -> bool:
        headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        await self._send_head(conn, status, headers, keep_alive)
        await conn.write(body)
        return keep_alive

    async def _send_json(self, conn: _Connection, status: int, value: Any, keep: bool) -> bool:
        return await self._send_plain(
            conn, status, _json_bytes(value), keep, "application/json; charset=utf-8"
        )

    @staticmethod
    def _error_body(api: Api, message: str, status: int) -> dict[str, Any]:
        if api == "ollama":
            return {"error": message}
        kind = "invalid_request_error" if 400 <= status < 500 else "server_error"
        code = "model_not_found" if status == 404 else None
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    async def _chat(self, conn: _Connection, http: _HttpRequest, api: Api) -> bool:
        keep = http.keep_alive
        try:
            body = json.loads(http.body or b"null")
        except ValueError:
            body = None
        record = RecordedRequest(
            path=http.target,
            body=body,
            received_at=time.perf_counter(),
            method=http.method,
            headers=dict(http.headers),
            api=api,
            connection_id=conn.id,
        )
        self.requests.append(record)
        if self._arrived is not None:
            async with self._arrived:
                self._arrived.notify_all()

        if not isinstance(body, dict):
            record.finished = True
            error = self._error_body(api, "invalid JSON request body", 400)
            return await self._send_json(conn, 400, error, keep)
        model = body.get("model")
        if not self._knows(model):
            record.finished = True
            if api == "ollama":
                message = f"model '{model}' not found"
            else:
                message = f"The model '{model}' does not exist"
            return await self._send_json(conn, 404, self._error_body(api, message, 404), keep)

        script = self._script_for(record)
        conn.active = record
        try:
            if script.head_delay_s:
                await conn.pause(script.head_delay_s)
            if script.status != 200:
                record.finished = True
                error = self._error_body(api, script.error, script.status)
                return await self._send_json(conn, script.status, error, keep)
            stream = body.get("stream", api == "ollama")
            if not stream:
                return await self._answer_whole(conn, record, script, api, keep)
            return await self._stream(conn, record, script, api, keep)
        except _ClientGone:
            self._mark_disconnected(record)
            return False
        finally:
            conn.active = None

    def _token_counts(self, record: RecordedRequest, script: Script) -> tuple[int, int]:
        prompt = script.prompt_tokens
        if prompt is None:
            messages = record.body.get("messages") or []
            text = " ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
            prompt = max(1, len(text.split()))
        completion = script.completion_tokens
        if completion is None:
            completion = len(script.chunks) + len(script.thinking)
        return prompt, completion

    async def _answer_whole(
        self, conn: _Connection, record: RecordedRequest, script: Script, api: Api, keep: bool
    ) -> bool:
        """Non-streaming answer (`"stream": false`)."""
        await conn.pause(script.first_delay_s)
        prompt, completion = self._token_counts(record, script)
        model = record.body["model"]
        content, thinking = "".join(script.chunks), "".join(script.thinking)
        if api == "ollama":
            message: dict[str, Any] = {"role": "assistant", "content": content}
            if thinking:
                message["thinking"] = thinking
            value: dict[str, Any] = {
                "model": model,
                "created_at": _now_iso(),
                "message": message,
                **self._ollama_final_fields(script, prompt, completion),
            }
        else:
            message = {"role": "assistant", "content": content}
            if thinking:
                message["reasoning_content"] = thinking
            value = {
                "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": script.done_reason}],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        keep = await self._send_json(conn, 200, value, keep)
        record.finished = True
        return keep

    @staticmethod
    def _ollama_final_fields(script: Script, prompt: int, completion: int) -> dict[str, Any]:
        return {
            "done": True,
            "done_reason": script.done_reason,
            "total_duration": 1_234_567_890,
            "load_duration": 12_345_678,
            "prompt_eval_count": prompt,
            "prompt_eval_duration": 23_456_789,
            "eval_count": completion,
            "eval_duration": 987_654_321,
        }

    async def _stream(
        self, conn: _Connection, record: RecordedRequest, script: Script, api: Api, keep: bool
    ) -> bool:
        model = record.body["model"]
        include_usage = bool((record.body.get("stream_options") or {}).get("include_usage"))
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:12]}"
        created = int(time.time())
        first_event = True

        def encode(kind: str, text: str, created_at: str) -> bytes:
            nonlocal first_event
            if api == "ollama":
                return _ollama_delta(model, created_at, kind, text)
            delta: dict[str, Any] = {}
            if first_event:
                delta["role"] = "assistant"
                first_event = False
            delta["reasoning_content" if kind == "thinking" else "content"] = text
            return sse(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
            )

        def sse(value: Any) -> bytes:
            return b"data: " + _json_bytes(value) + b"\n\n"

        async def send(data: bytes) -> None:
            await conn.write_chunk(data, script.write_size)

        content_type = "application/x-ndjson" if api == "ollama" else "text/event-stream"
        headers = {"Content-Type": content_type, "Transfer-Encoding": "chunked"}
        if api == "openai":
            headers["Cache-Control"] = "no-cache"
        await self._send_head(conn, 200, headers, keep)
        await conn.pause(script.first_delay_s)

        pieces = [("thinking", t) for t in script.thinking]
        pieces += [("content", c) for c in script.chunks]
        content_sent = 0
        garbage_sent = False
        #: Encoded chunks waiting for their write (more than one only with `lines_per_write`).
        unsent: list[bytes] = []
        # `sent` = chunks (thinking + content) sent so far; one pass more after the last one.
        for sent in range(len(pieces) + 1):
            if 0 < sent < len(pieces):
                await conn.pause(script.delay_s)
            # The scripted failures that happen "after N chunks".
            if script.garbage_after == sent and not garbage_sent:
                garbage_sent = True
                await send(b"this is not json {\n" if api == "ollama" else b"data: {not json\n\n")
            if script.error_after == content_sent:
                if api == "ollama":
                    await send(_json_bytes({"error": script.error}) + b"\n")
                else:
                    await send(sse({"error": {"message": script.error, "type": "server_error"}}))
                await conn.end_chunks()
                record.finished = True
                return keep
            if script.drop_after == sent:
                await conn.abort()
                return False
            if script.stall_after == sent:
                await conn.wait_gone()
            if sent == len(pieces):
                break
            kind, text = pieces[sent]
            if not unsent:  # one clock reading per write
                created_at = _now_iso()
            unsent.append(encode(kind, text, created_at))
            if len(unsent) == script.lines_per_write or sent + 1 == len(pieces):
                await send(b"".join(unsent))
                record.chunk_times += [time.perf_counter()] * len(unsent)
                unsent.clear()
            content_sent += kind == "content"

        prompt, completion = self._token_counts(record, script)
        if api == "ollama":
            final = {
                "model": model,
                "created_at": _now_iso(),
                "message": {"role": "assistant", "content": ""},
                **self._ollama_final_fields(script, prompt, completion),
            }
            await send(_json_bytes(final) + b"\n")
        else:
            delta = {"role": "assistant"} if first_event else {}
            last = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": script.done_reason}],
            }
            await send(sse(last))
            if include_usage:
                usage = {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                }
                await send(sse({**last, "choices": [], "usage": usage}))
            await send(b"data: [DONE]\n\n")
        await conn.end_chunks()
        record.finished = True
        return keep


# --- standalone ----------------------------------------------------------------------------


def _load_scripts(server: FakeModelServer, path: str) -> None:
    """A JSON object of `Script` fields (the default script), or a list of them, each with an
    optional "match" key."""
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    entries = data if isinstance(data, list) else [data]
    for entry in entries:
        fields = dict(entry)
        match = fields.pop("match", None)
        server.script(Script(**fields), match=match)


async def _serve(args: argparse.Namespace) -> None:
    def log_disconnect(request: RecordedRequest) -> None:
        print(f"DISCONNECT {request.path} {request.chunks_sent}", flush=True)

    models = args.models.split(",") if args.models else None
    server = FakeModelServer(
        models=models,
        host=args.host,
        port=args.port,
        on_disconnect=log_disconnect if args.log_disconnects else None,
    )
    if args.script:
        _load_scripts(server, args.script)
    default = server.default_script
    if args.chunks_from_text is not None:
        default.chunks = _words(args.chunks_from_text)
    if args.delay_s is not None:
        default.delay_s = args.delay_s
    if args.first_delay_s is not None:
        default.first_delay_s = args.first_delay_s

    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    print(f"READY {server.base_url}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fake_model_server",
        description="Fake Ollama / OpenAI-compatible model server for tests and benchmarks.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--script", help="JSON file: Script fields, or a list with 'match' keys")
    parser.add_argument("--delay-s", type=float, help="pause before each chunk after the first")
    parser.add_argument("--first-delay-s", type=float, help="pause before the first chunk")
    parser.add_argument("--chunks-from-text", help="answer with this text, one word per chunk")
    parser.add_argument("--models", help="comma-separated list of known models")
    parser.add_argument(
        "--log-disconnects",
        action="store_true",
        help="print 'DISCONNECT <path> <n_chunks_sent>' when a client leaves early",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
