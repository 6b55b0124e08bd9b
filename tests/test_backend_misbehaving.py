"""The HTTP backends against model servers that misbehave: bytes that never make a token,
a line that never ends, a full connection pool, a web page instead of an answer, a refused key
echoed back. Each error names what happened and what to check, and never repeats a secret."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest

from fake_model_server import FakeModelServer, Script
from ollama_lsp.agents.backends import Delta, Finish, ModelBackend, Timeouts
from ollama_lsp.agents.backends.openai import _StreamState
from tests.support import chat, collect, collect_until_error, make_backend, text_of

KINDS = ["ollama", "openai"]
KEY = "sk-proj-Secret123456789"


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@contextlib.asynccontextmanager
async def backend_for(kind: str, fake: FakeModelServer, **config: object):  # type: ignore[no-untyped-def]
    backend: ModelBackend = make_backend(kind, fake.base_url, **config)  # type: ignore[arg-type]
    try:
        yield backend
    finally:
        await backend.aclose()


# --- deadlines on progress, not bytes; a line that never ends ----------------------------------


@pytest.mark.parametrize(
    ("script", "timeouts", "error_kind", "says"),
    [
        (
            Script(chunks=["a"], dribble_after=0),
            Timeouts(first_token_s=0.5, idle_s=10),
            "timeout",
            "firstTokenS",
        ),
        (
            Script(chunks=["a", "b"], dribble_after=1),
            Timeouts(first_token_s=10, idle_s=0.5),
            "timeout",
            "idleS",
        ),
        (
            Script(chunks=["a", "b"], endless_line_after=1),
            Timeouts(first_token_s=10, idle_s=2),
            "streamError",
            "MiB without a line break",
        ),
    ],
    ids=["dribble before the first token", "dribble mid-answer", "endless line"],
)
async def test_bytes_that_make_no_token_end_the_answer(
    kind: str,
    fake: FakeModelServer,
    script: Script,
    timeouts: Timeouts,
    error_kind: str,
    says: str,
) -> None:
    fake.script(script)
    async with backend_for(kind, fake, timeouts=timeouts) as b:
        events, error = await collect_until_error(b)
    sent = script.dribble_after or script.endless_line_after or 0
    assert events == [Delta("content", text) for text in script.chunks[:sent]]
    assert error.kind == error_kind
    assert says in error.message
    await fake.wait_disconnect(fake.requests[0], timeout=2)


def test_an_event_of_endless_data_lines_is_cut_off() -> None:
    """Server-Sent Events join the data lines of one event: many short lines, no blank line
    between them, are one endless event."""
    state = _StreamState()
    line = "data: " + "x" * 60_000
    with pytest.raises(ValueError, match="without"):
        for _ in range(1_000):
            state.parse_line(line)


# --- waiting for a free connection -------------------------------------------------------------


async def test_waiting_for_a_free_connection_is_not_charged_to_the_model(
    kind: str, fake: FakeModelServer
) -> None:
    """With a pool of one, the second chat waits for the first; its first-token deadline
    starts when it is sent, so the wait plus a slow first token may exceed it."""
    fake.script(Script(chunks=["a", "b"], delay_s=0.6), match="holds the slot")
    fake.script(Script(chunks=["c"], head_delay_s=0.6), match="waits")
    timeouts = Timeouts(first_token_s=1.0, idle_s=10)
    async with backend_for(kind, fake, timeouts=timeouts, max_connections=1) as b:
        holder = asyncio.create_task(collect(b, chat("holds the slot")))
        await fake.wait_for_request()
        waiting = await collect(b, chat("waits"))
        assert text_of(await holder) == "ab"
    assert text_of(waiting) == "c"


async def test_a_pool_wait_that_lasts_too_long_says_so(kind: str, fake: FakeModelServer) -> None:
    fake.script(Script(chunks=["a", "b"], stall_after=1), match="holds the slot")
    timeouts = Timeouts(first_token_s=0.5, idle_s=10)
    async with backend_for(kind, fake, timeouts=timeouts, max_connections=1) as b:
        holder = asyncio.create_task(collect(b, chat("holds the slot")))
        await fake.wait_for_request()
        events, error = await collect_until_error(b, chat("waits"))
        holder.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await holder
    assert events == []
    assert error.kind == "poolTimeout"
    assert "waiting for a free connection: 1 in use" in error.message
    assert "`ollama.limits.maxConnections`" in error.message
    assert len(fake.requests) == 1  # the second chat never reached the model server


# --- answers that are not a model's ------------------------------------------------------------

HTML = "<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head><body>hi</body>\n"


@pytest.mark.parametrize(
    ("page", "content_type"),
    [
        (HTML, "text/html; charset=utf-8"),
        ("<html><body>one line, no line break</body></html>", "text/html"),
        ("Hello from a plain server\n", "text/plain"),
    ],
)
async def test_a_page_instead_of_an_answer_says_what_came_back(
    kind: str, fake: FakeModelServer, page: str, content_type: str
) -> None:
    fake.script(Script(page=page, content_type=content_type))
    async with backend_for(kind, fake) as b:
        events, error = await collect_until_error(b)
    assert events == []
    assert error.kind == "notAModelServer"
    assert content_type.split(";")[0] in error.message
    assert page.split()[0][:12] in error.message
    assert "`ollama.baseUrl`" in error.message
    assert "mid-answer" not in error.message


async def test_a_secret_in_a_page_is_not_repeated(kind: str, fake: FakeModelServer) -> None:
    fake.script(Script(page=f"token {KEY} and Bearer abc.def-ghi\n", content_type="text/plain"))
    async with backend_for(kind, fake, api_key=KEY) as b:
        _, error = await collect_until_error(b)
    assert error.kind == "notAModelServer"
    assert KEY not in error.message
    assert "abc.def-ghi" not in error.message


# --- refused keys ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
async def test_a_refused_key_is_named_and_not_echoed(
    kind: str, fake: FakeModelServer, status: int
) -> None:
    fake.script(Script(status=status, error="invalid api key: {authorization}"))
    async with backend_for(kind, fake, api_key=KEY) as b:
        _, error = await collect_until_error(b)
    assert error.kind == "unauthorized"
    assert "refused the API key" in error.message
    assert "`ollama.apiKey`" in error.message
    assert str(status) in error.message
    assert KEY not in error.message
    assert "Secret123" not in error.message
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_a_key_is_asked_for_when_none_is_set(kind: str, fake: FakeModelServer) -> None:
    fake.script(Script(status=401, error="missing bearer token"))
    async with backend_for(kind, fake) as b:
        _, error = await collect_until_error(b)
    assert error.kind == "unauthorized"
    assert "set `ollama.apiKey`" in error.message
    assert "missing bearer token" in error.message


async def test_a_key_in_a_mid_answer_error_is_not_echoed(kind: str, fake: FakeModelServer) -> None:
    fake.script(Script(chunks=["a"], error_after=1, error="quota exceeded for {authorization}"))
    async with backend_for(kind, fake, api_key=KEY) as b:
        events, error = await collect_until_error(b)
    assert events == [Delta("content", "a")]
    assert error.kind == "streamError"
    assert "quota exceeded for" in error.message
    assert KEY not in error.message


async def test_other_bearer_and_sk_tokens_in_a_body_are_redacted(
    kind: str, fake: FakeModelServer
) -> None:
    fake.script(
        Script(status=500, error="upstream said: Bearer eyJhbGciOi.x-y and sk-abcdef0123456789")
    )
    async with backend_for(kind, fake) as b:
        _, error = await collect_until_error(b)
    assert error.kind == "backendError"
    assert "upstream said" in error.message
    assert "eyJhbGciOi" not in error.message
    assert "sk-abcdef0123456789" not in error.message


# --- a server that does not stream -------------------------------------------------------------

WHOLE_ANSWER = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "all at once"},
            "finish_reason": "stop",
        }
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
}


@pytest.mark.parametrize("indent", [None, 2])
async def test_a_whole_json_answer_is_taken_as_is(
    fake: FakeModelServer, indent: int | None
) -> None:
    """Some OpenAI-compatible servers ignore `stream: true` and answer with one JSON body."""
    page = json.dumps(WHOLE_ANSWER, indent=indent)
    fake.script(Script(page=page, content_type="application/json"))
    async with backend_for("openai", fake) as b:
        events = await collect(b)
    assert events == [Delta("content", "all at once"), Finish("stop", 5, 3)]


async def test_a_json_error_with_status_200_is_reported(fake: FakeModelServer) -> None:
    body = json.dumps({"error": {"message": "model is overloaded", "type": "server_error"}})
    fake.script(Script(page=body, content_type="application/json"))
    async with backend_for("openai", fake) as b:
        _, error = await collect_until_error(b)
    assert error.kind == "streamError"
    assert "model is overloaded" in error.message
