"""The fake model server itself: routing, scripting, its two wire formats, noticing a client
leave, its standalone mode, and its fast line encoding (exactly the bytes of the plain one)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_model_server import FakeModelServer, Script
from fake_model_server.dialect import json_bytes
from fake_model_server.ollama import delta_line

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["Hello", "", 'quote " and \\ backslash', "line\nbreak\ttab", "é 中文 🙂", "\u2028\x00\x1f"]


async def test_fake_server_routes_and_scripts(fake: FakeModelServer) -> None:
    fake.script(Script(chunks=["older"]), match="magic")
    fake.script(Script(chunks=["newer"]), match="magic word")
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        assert (await client.get("/nowhere")).status_code == 404
        assert (await client.post("/api/tags")).status_code == 404

        async def answer(text: str) -> str:
            body = {"model": "test-model", "messages": [{"role": "user", "content": text}]}
            response = await client.post("/api/chat", json=body)
            assert response.headers["content-type"] == "application/x-ndjson"
            lines = [json.loads(line) for line in response.text.splitlines()]
            assert lines[-1]["done"] is True
            return "".join(line["message"]["content"] for line in lines)

        assert await answer("the magic word") == "newer"
        assert await answer("magic") == "older"
        assert await answer("plain") == "Hello, world!"

        response = await client.post("/v1/chat/completions", json={"model": "x", "stream": True})
        assert response.status_code == 404
        assert response.json()["error"]["message"]
    assert [r.last_user_message for r in fake.requests] == [
        "the magic word",
        "magic",
        "plain",
        "",
    ]
    assert fake.requests[-1].api == "openai"
    assert (await fake.wait_for_request(3)).last_user_message == "plain"
    with pytest.raises(TimeoutError):
        await fake.wait_for_request(10, timeout=0.1)


async def test_fake_server_sse_format(fake: FakeModelServer) -> None:
    fake.script(Script(thinking=["t"], chunks=["a", "b"], done_reason="length"))
    body = {
        "model": "smollm2",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "hi"}],
    }
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        response = await client.post("/v1/chat/completions", json=body)
    assert response.headers["content-type"] == "text/event-stream"
    events = [e.removeprefix("data: ") for e in response.text.split("\n\n") if e]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "reasoning_content": "t"}
    assert chunks[1]["choices"][0]["delta"] == {"content": "a"}
    assert chunks[3]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "length"}
    assert chunks[4]["choices"] == [] and chunks[4]["usage"]["completion_tokens"] == 3
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}


async def test_fake_server_notices_disconnect_while_sleeping(fake: FakeModelServer) -> None:
    fake.script(Script(chunks=["a", "b"], first_delay_s=10))
    body = {"model": "smollm2", "messages": [{"role": "user", "content": "hi"}]}
    async with httpx.AsyncClient(base_url=fake.base_url) as client:  # noqa: SIM117
        async with client.stream("POST", "/api/chat", json=body) as response:
            assert response.status_code == 200
    closed_at = time.perf_counter()
    request = fake.requests[0]
    assert await fake.wait_disconnect(request, timeout=2) - closed_at < 0.1
    assert request.chunks_sent == 0


@pytest.mark.parametrize("mode", ["dribble_after", "endless_line_after"])
async def test_fake_server_lines_that_never_end(fake: FakeModelServer, mode: str) -> None:
    """After one whole line, the start of a real content line, then only its text: no line
    end, ever."""
    fake.script(Script(chunks=["a", "b"], **{mode: 1}))
    body = {"model": "smollm2", "messages": [{"role": "user", "content": "hi"}]}
    received = b""
    async with httpx.AsyncClient(base_url=fake.base_url) as client:  # noqa: SIM117
        async with client.stream("POST", "/api/chat", json=body) as response:
            async for piece in response.aiter_bytes():
                received += piece
                if received.count(b"x") >= 3:
                    break
    first, rest = received.split(b"\n", 1)
    assert json.loads(first)["message"]["content"] == "a"
    assert rest.startswith(b'{"model":"smollm2","created_at":')
    assert b'"content":"xxx' in rest and b"\n" not in rest
    assert not fake.requests[0].finished


async def test_fake_server_page_instead_of_a_stream(fake: FakeModelServer) -> None:
    fake.script(Script(page="<html>hi</html>", content_type="text/html"))
    body = {"model": "smollm2", "messages": [{"role": "user", "content": "hi"}]}
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        response = await client.post("/api/chat", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html"
    assert response.text == "<html>hi</html>"


@contextlib.contextmanager
def standalone(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`python -m fake_model_server --port 0 ARGS`: the process and its base URL; stopped after."""
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_model_server", "--port", "0", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline().split()
        assert ready[0] == "READY" and ready[1].startswith("http://127.0.0.1:")
        yield process, ready[1]
    finally:
        process.terminate()
        process.wait(timeout=5)
    assert process.returncode == 0


def test_standalone_mode(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"match": "stall", "chunks": ["s"], "stall_after": 1}]))
    args = ["--chunks-from-text", "The quick  brown fox.", "--script", str(script)]
    with standalone(*args, "--log-disconnects") as (process, base_url):
        body: dict[str, Any] = {
            "model": "smollm2",
            "messages": [{"role": "user", "content": "go"}],
        }
        with httpx.Client(base_url=base_url, timeout=5) as client:
            lines = client.post("/api/chat", json=body).text.splitlines()
            pieces = [json.loads(line)["message"]["content"] for line in lines]
            assert pieces[:-1] == ["The", " quick", "  brown", " fox."]
            assert [m["id"] for m in client.get("/v1/models").json()["data"]] == [
                "smollm2",
                "qwen2.5-coder:1.5b",
                "test-model",
            ]
            body["messages"][0]["content"] = "please stall"
            with client.stream("POST", "/api/chat", json=body) as response:
                next(response.iter_lines())
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "DISCONNECT /api/chat 1"


def test_standalone_mode_logs_when_each_chunk_was_written() -> None:
    with standalone("--log-chunks", "--chunks-from-text", "one two three") as (process, base_url):
        body = {"model": "smollm2", "messages": [{"role": "user", "content": "go"}]}
        before = time.time()
        with httpx.Client(base_url=base_url, timeout=5) as client:
            client.post("/api/chat", json=body).raise_for_status()
        after = time.time()
        logged: list[tuple[int, float]] = []
        assert process.stdout is not None
        while not logged or logged[-1][0] < 3:
            kind, path, sent, at = process.stdout.readline().split()
            assert (kind, path) == ("CHUNK", "/api/chat")
            logged.append((int(sent), float(at)))
        assert [sent for sent, _ in logged] == sorted({sent for sent, _ in logged})
        assert [at for _, at in logged] == sorted(at for _, at in logged)
        assert before <= logged[0][1] and logged[-1][1] <= after


def test_standalone_mode_logs_each_request_body() -> None:
    with standalone("--log-requests", "--chunks-from-text", "ok") as (process, base_url):
        body = {
            "model": "smollm2",
            "messages": [
                {"role": "user", "content": "first"},
                {"role": "assistant", "content": "answer\non two lines"},
                {"role": "user", "content": "second"},
            ],
        }
        with httpx.Client(base_url=base_url, timeout=5) as client:
            client.post("/api/chat", json=body).raise_for_status()
        assert process.stdout is not None
        kind, path, logged = process.stdout.readline().rstrip("\n").split(" ", 2)
        assert (kind, path) == ("REQUEST", "/api/chat")
        assert json.loads(logged) == body


@pytest.mark.parametrize("kind", ["content", "thinking"])
@pytest.mark.parametrize("text", TEXTS)
def test_ollama_delta_line_is_the_json_of_its_dict(kind: str, text: str) -> None:
    message = {"role": "assistant", "content": ""}
    message[kind] = text
    line = {"model": 'm:"1"', "created_at": "2026-01-01T00:00:00Z", "message": message}
    expected = json_bytes({**line, "done": False}) + b"\n"
    assert delta_line('m:"1"', "2026-01-01T00:00:00Z", kind, text) == expected
