"""The model backends against the fake model server, over real loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fake_model_server import FakeModelServer, Script
from ollama_lsp.agents.backends import (
    BackendConfig,
    BackendError,
    Delta,
    Finish,
    ModelBackend,
    OllamaBackend,
    OpenAIBackend,
    Timeouts,
    create_backend,
)
from ollama_lsp.agents.backends.openai import _StreamState, v1_base
from tests.support import chat, collect, collect_until_error, free_port, make_backend, text_of

ROOT = Path(__file__).resolve().parent.parent
KINDS = ["ollama", "openai"]


@pytest.fixture
def server(fake: FakeModelServer) -> FakeModelServer:
    """This module's name for the shared fake model server (conftest's `fake`)."""
    return fake


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def backend(kind: str, server: FakeModelServer) -> AsyncIterator[ModelBackend]:
    b = make_backend(kind, server.base_url)
    yield b
    await b.aclose()


# --- streaming ---------------------------------------------------------------------------------


async def test_content_streams_in_order(backend: ModelBackend, server: FakeModelServer) -> None:
    server.script(Script(chunks=["One", " two", " three", "."]))
    events = await collect(backend)
    assert events[:-1] == [
        Delta("content", "One"),
        Delta("content", " two"),
        Delta("content", " three"),
        Delta("content", "."),
    ]
    assert isinstance(events[-1], Finish)
    assert sum(isinstance(e, Finish) for e in events) == 1
    request = server.requests[0]
    assert request.body["model"] == "smollm2"
    assert request.body["stream"] is True
    assert request.body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Say hello"},
    ]
    assert request.finished and request.disconnected_at is None


async def test_deltas_arrive_as_the_model_sends_them(
    backend: ModelBackend, server: FakeModelServer
) -> None:
    server.script(Script(chunks=["a", "b", "c"], delay_s=0.15))
    arrivals: list[float] = []
    async with asyncio.timeout(10):
        async for event in backend.stream_chat(chat()):
            if isinstance(event, Delta):
                arrivals.append(time.perf_counter())
    sent = server.requests[0].chunk_times
    assert len(arrivals) == len(sent) == 3
    for got, wrote in zip(arrivals, sent, strict=True):
        assert 0 <= got - wrote < 0.1


@pytest.mark.parametrize(
    "chunks",
    [
        ["Grüße ", "🦙🚀", " 日本語のテキスト", " e\u0301", " 👩‍👩‍👧"],
        ["中", "文", "字", "符", "🎉"],
    ],
)
async def test_utf8_split_across_tcp_reads_reassembles(
    backend: ModelBackend, server: FakeModelServer, chunks: list[str]
) -> None:
    server.script(Script(chunks=chunks, thinking=["思考 🤔"], write_size=1))
    events = await collect(backend)
    assert [e.text for e in events if isinstance(e, Delta) and e.kind == "content"] == chunks
    assert text_of(events, "content").encode() == "".join(chunks).encode()
    assert text_of(events, "thinking") == "思考 🤔"
    assert isinstance(events[-1], Finish)


async def test_unicode_line_separators_inside_a_token(
    backend: ModelBackend, server: FakeModelServer
) -> None:
    """JSON may carry them raw (llama.cpp's server does): they do not end a line."""
    chunks = ["a\u2028b", " c\x85d", " e\u2029"]
    server.script(Script(chunks=chunks))
    events = await collect(backend)
    assert text_of(events) == "".join(chunks)
    assert isinstance(events[-1], Finish)


async def test_thinking_deltas_kept_apart(backend: ModelBackend, server: FakeModelServer) -> None:
    server.script(Script(thinking=["Let me ", "think."], chunks=["The ", "answer."]))
    events = await collect(backend)
    assert events[:-1] == [
        Delta("thinking", "Let me "),
        Delta("thinking", "think."),
        Delta("content", "The "),
        Delta("content", "answer."),
    ]


@pytest.mark.parametrize("reason", ["stop", "length"])
async def test_finish_fields(backend: ModelBackend, server: FakeModelServer, reason: str) -> None:
    server.script(Script(done_reason=reason, prompt_tokens=17, completion_tokens=4))
    events = await collect(backend)
    assert events[-1] == Finish(done_reason=reason, prompt_tokens=17, completion_tokens=4)  # type: ignore[arg-type]


async def test_default_token_counts(backend: ModelBackend, server: FakeModelServer) -> None:
    events = await collect(backend, chat("one two three"))
    # Fake server default: words of all messages (3 + "You are terse." = 6), pieces sent (4).
    assert events[-1] == Finish("stop", prompt_tokens=6, completion_tokens=4)


async def test_malformed_line_is_skipped(
    backend: ModelBackend, server: FakeModelServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(Script(chunks=["a", "b", "c"], garbage_after=1))
    with caplog.at_level(logging.WARNING, logger="ollama_lsp.agents.backends"):
        events = await collect(backend)
    assert text_of(events) == "abc"
    assert isinstance(events[-1], Finish)
    assert any("malformed" in r.getMessage() for r in caplog.records)


# --- errors ------------------------------------------------------------------------------------


async def test_unknown_model(backend: ModelBackend, kind: str, server: FakeModelServer) -> None:
    events, error = await collect_until_error(backend, chat(model="nope:7b"))
    assert events == []
    assert error.kind == "modelNotFound"
    if kind == "ollama":
        assert error.message == "Model 'nope:7b' is not installed: run `ollama pull nope:7b`"
    else:
        assert "Model 'nope:7b' is not available at" in error.message
        assert "`ollama.model`" in error.message


async def test_http_500_is_backend_error(backend: ModelBackend, server: FakeModelServer) -> None:
    server.script(Script(status=500, error="CUDA out of memory"))
    _, error = await collect_until_error(backend)
    assert error.kind == "backendError"
    assert "CUDA out of memory" in error.message
    assert "500" in error.message


async def test_mid_stream_error(backend: ModelBackend, server: FakeModelServer) -> None:
    server.script(Script(chunks=["a", "b", "c"], error_after=2, error="model runner crashed"))
    events, error = await collect_until_error(backend)
    assert events == [Delta("content", "a"), Delta("content", "b")]
    assert error.kind == "streamError"
    assert "model runner crashed" in error.message


async def test_drop_mid_stream(backend: ModelBackend, server: FakeModelServer) -> None:
    server.script(Script(chunks=["a", "b", "c"], drop_after=2))
    events, error = await collect_until_error(backend)
    assert events == [Delta("content", "a"), Delta("content", "b")]
    assert error.kind == "streamDropped"
    assert "closed the connection mid-answer" in error.message


async def test_drop_before_first_chunk(backend: ModelBackend, server: FakeModelServer) -> None:
    server.script(Script(drop_after=0))
    events, error = await collect_until_error(backend)
    assert events == []
    assert error.kind == "streamDropped"


async def test_stall_hits_idle_timeout(kind: str, server: FakeModelServer) -> None:
    server.script(Script(chunks=["a", "b", "c"], stall_after=1))
    backend = make_backend(kind, server.base_url, Timeouts(first_token_s=5, idle_s=0.3))
    try:
        started = time.perf_counter()
        events, error = await collect_until_error(backend)
        assert 0.25 < time.perf_counter() - started < 2
    finally:
        await backend.aclose()
    assert events == [Delta("content", "a")]
    assert error.kind == "timeout"
    assert "idleS" in error.message
    # Giving up closes the connection, so the model stops generating.
    await server.wait_disconnect(server.requests[0], timeout=2)


async def test_first_token_timeout(kind: str, server: FakeModelServer) -> None:
    server.script(Script(first_delay_s=3))
    backend = make_backend(kind, server.base_url, Timeouts(first_token_s=0.3, idle_s=10))
    try:
        _, error = await collect_until_error(backend)
    finally:
        await backend.aclose()
    assert error.kind == "timeout"
    assert "firstTokenS" in error.message
    await server.wait_disconnect(server.requests[0], timeout=2)


async def test_first_token_timeout_covers_the_response_headers(
    kind: str, server: FakeModelServer
) -> None:
    # Ollama sends no headers before the model is loaded.
    server.script(Script(head_delay_s=3))
    backend = make_backend(kind, server.base_url, Timeouts(first_token_s=0.3, idle_s=10))
    try:
        started = time.perf_counter()
        _, error = await collect_until_error(backend)
        assert time.perf_counter() - started < 2
    finally:
        await backend.aclose()
    assert error.kind == "timeout"
    await server.wait_disconnect(server.requests[0], timeout=2)


async def test_first_token_deadline_is_shared_by_headers_and_first_line(
    kind: str, server: FakeModelServer
) -> None:
    server.script(Script(head_delay_s=0.3, first_delay_s=0.3))
    backend = make_backend(kind, server.base_url, Timeouts(first_token_s=0.45, idle_s=10))
    try:
        _, error = await collect_until_error(backend)
    finally:
        await backend.aclose()
    assert error.kind == "timeout"


async def test_slow_but_steady_stream_is_fine(kind: str, server: FakeModelServer) -> None:
    server.script(Script(chunks=["a", "b", "c"], first_delay_s=0.2, delay_s=0.2))
    backend = make_backend(kind, server.base_url, Timeouts(first_token_s=0.5, idle_s=0.35))
    try:
        events = await collect(backend)
    finally:
        await backend.aclose()
    assert text_of(events) == "abc"


async def test_unreachable(kind: str) -> None:
    port = free_port()
    backend = make_backend(kind, f"http://127.0.0.1:{port}")
    try:
        _, error = await collect_until_error(backend)
        with pytest.raises(BackendError) as listing:
            await backend.list_models()
    finally:
        await backend.aclose()
    assert error.kind == "unreachable"
    assert listing.value.kind == "unreachable"
    assert f"http://127.0.0.1:{port}" in error.message
    assert "`ollama.baseUrl`" in error.message
    if kind == "ollama":
        assert "`ollama serve`" in error.message


async def test_wrong_path_404_is_not_model_not_found(kind: str, server: FakeModelServer) -> None:
    # A base URL that points somewhere without the API: a plain 404 page.
    backend = make_backend(kind, server.base_url + "/nothing/here")
    try:
        _, error = await collect_until_error(backend)
    finally:
        await backend.aclose()
    assert error.kind == "backendError"
    assert "404" in error.message


async def test_no_raw_httpx_exception_escapes(kind: str, server: FakeModelServer) -> None:
    """Whatever the server does, callers only ever see BackendError."""
    scripts = [
        Script(drop_after=1),
        Script(status=503, error="busy"),
        Script(error_after=0),
        Script(chunks=["x"], drop_after=1, write_size=3),
    ]
    backend = make_backend(kind, server.base_url)
    try:
        for script in scripts:
            server.script(script)
            with pytest.raises(BackendError):
                await collect(backend)
    finally:
        await backend.aclose()


# --- cancellation ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["between_chunks", "stalled"])
async def test_cancel_closes_the_connection_at_once(
    backend: ModelBackend, server: FakeModelServer, how: str
) -> None:
    if how == "between_chunks":
        server.script(Script(chunks=["x"] * 100, delay_s=0.5))
    else:
        server.script(Script(chunks=["x"] * 100, stall_after=1))
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in backend.stream_chat(chat()):
            first.set()

    task = asyncio.create_task(consume())
    async with asyncio.timeout(5):
        await first.wait()
    request = await server.wait_for_request()
    cancelled_at = time.perf_counter()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    detected = await server.wait_disconnect(request, timeout=2)
    assert detected - cancelled_at < 0.1
    assert request.chunks_sent == 1
    assert not request.finished


async def test_breaking_out_closes_the_connection(
    backend: ModelBackend, server: FakeModelServer
) -> None:
    server.script(Script(chunks=["x"] * 100, delay_s=0.5))
    async with contextlib.aclosing(backend.stream_chat(chat())) as stream:  # type: ignore[type-var]
        async for _ in stream:
            break
    left_at = time.perf_counter()
    request = await server.wait_for_request()
    detected = await server.wait_disconnect(request, timeout=2)
    assert detected - left_at < 0.1


async def test_backend_still_works_after_a_cancel(
    backend: ModelBackend, server: FakeModelServer
) -> None:
    server.script(Script(chunks=["x"] * 100, delay_s=0.5), match="slow")
    task = asyncio.create_task(collect(backend, chat("slow please")))
    await server.wait_for_request()
    await asyncio.sleep(0.05)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    events = await collect(backend, chat("fast please"))
    assert text_of(events) == "Hello, world!"


# --- pool --------------------------------------------------------------------------------------


async def test_two_concurrent_streams(backend: ModelBackend, server: FakeModelServer) -> None:
    server.script(Script(chunks=["a1", "a2", "a3"], delay_s=0.2), match="first")
    server.script(Script(chunks=["b1", "b2", "b3"], delay_s=0.2), match="second")
    started = time.perf_counter()
    first, second = await asyncio.gather(
        collect(backend, chat("first question")), collect(backend, chat("second question"))
    )
    assert (
        time.perf_counter() - started < 0.7
    )  # side by side (one after the other: 0.8 s), not one after the other
    assert text_of(first) == "a1a2a3"
    assert text_of(second) == "b1b2b3"
    a, b = server.requests
    assert a.connection_id != b.connection_id
    # Their chunks interleave in time.
    assert a.chunk_times[0] < b.chunk_times[-1] and b.chunk_times[0] < a.chunk_times[-1]


async def test_keep_alive_reuses_the_connection(
    backend: ModelBackend, server: FakeModelServer
) -> None:
    assert text_of(await collect(backend)) == "Hello, world!"
    assert text_of(await collect(backend)) == "Hello, world!"
    assert text_of(await collect(backend)) == "Hello, world!"
    assert [r.connection_id for r in server.requests] == [1, 1, 1]
    # A failed answer does not poison the pool.
    server.script(Script(error_after=1), match="broken")
    with pytest.raises(BackendError):
        await collect(backend, chat("broken"))
    assert text_of(await collect(backend, chat("again"))) == "Hello, world!"


# --- request details ---------------------------------------------------------------------------


async def test_ollama_options_mapping(server: FakeModelServer) -> None:
    backend = OllamaBackend(BackendConfig(base_url=server.base_url + "/"))
    try:
        await collect(
            backend,
            chat(
                temperature=0.2,
                numCtx=8192,
                topP=0.9,
                topK=40,
                numPredict=128,
                repeatPenalty=1.1,
                seed=7,
                stop=["\n\n"],
                minP=None,
            ),
        )
        await collect(backend)
    finally:
        await backend.aclose()
    assert server.requests[0].body["options"] == {
        "temperature": 0.2,
        "num_ctx": 8192,
        "top_p": 0.9,
        "top_k": 40,
        "num_predict": 128,
        "repeat_penalty": 1.1,
        "seed": 7,
        "stop": ["\n\n"],
    }
    assert "options" not in server.requests[1].body
    assert server.requests[0].path == "/api/chat"


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
async def test_openai_request(server: FakeModelServer, suffix: str) -> None:
    backend = OpenAIBackend(BackendConfig(base_url=server.base_url + suffix, api_key="sk-secret"))
    try:
        await collect(
            backend, chat(temperature=0.2, topP=0.9, numPredict=64, seed=3, stop=["END"], numCtx=1)
        )
    finally:
        await backend.aclose()
    request = server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-secret"
    body = request.body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert {k: body[k] for k in ("temperature", "top_p", "max_tokens", "seed", "stop")} == {
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 64,
        "seed": 3,
        "stop": ["END"],
    }
    assert "numCtx" not in body and "num_ctx" not in body


def test_openai_api_key_not_in_repr() -> None:
    config = BackendConfig(base_url="http://x", api_key="sk-secret")
    assert "sk-secret" not in repr(config)
    assert v1_base("http://h:1/v1/") == "http://h:1/v1"
    assert v1_base("http://h:1") == "http://h:1/v1"


def test_openai_reasoning_field_and_finish_reasons() -> None:
    state = _StreamState()
    chunk = {"choices": [{"index": 0, "delta": {"role": "assistant", "reasoning": "hmm"}}]}
    assert state.feed(json.dumps(chunk)) == [Delta("thinking", "hmm")]
    chunk = {"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
    assert state.feed(json.dumps(chunk)) == []
    assert state.finish_reason == "tool_calls"


async def test_list_models(backend: ModelBackend, kind: str, server: FakeModelServer) -> None:
    server.models = ["smollm2", "llama3.2:3b"]
    models = await backend.list_models()
    if kind == "ollama":
        assert [m.name for m in models] == ["smollm2:latest", "llama3.2:3b"]
        assert models[0].size_bytes == 100_000_000
        assert models[0].modified_at and models[0].modified_at.startswith("2025-01-01")
    else:
        assert [m.name for m in models] == ["smollm2", "llama3.2:3b"]


async def test_create_backend() -> None:
    config = BackendConfig(base_url="http://127.0.0.1:1")
    for kind, cls in (("ollama", OllamaBackend), ("openai", OpenAIBackend)):
        backend = create_backend(kind, config)  # type: ignore[arg-type]
        assert isinstance(backend, cls)
        assert backend.display_name
        await backend.aclose()
    with pytest.raises(ValueError):
        create_backend("nope", config)  # type: ignore[arg-type]
