"""Chat over a real LSP connection: streaming order, the concatenation invariant, batching."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from fake_model_server import FakeModelServer, Script
from ollama_lsp.server.protocol import Command
from tests.lsp_helpers import StartClient

UNICODE_CHUNKS = ["Ça ", "marche", " — ", "🎉🚀", " 中文", "测试", " 👩‍💻", " done."]


async def test_chat_streams_batches_then_answers(start_client: StartClient, fake: FakeModelServer):
    fake.script(Script(chunks=UNICODE_CHUNKS, write_size=1, prompt_tokens=7, completion_tokens=8))
    client = await start_client()
    request_id, outcome = client.send_command(Command.CHAT, {"prompt": "hello"}, token="t-1")
    result = await outcome
    wire = client.wire
    expected = "".join(UNICODE_CHUNKS)
    assert result["text"] == expected
    assert wire.text("t-1") == expected  # byte for byte, though UTF-8 was split on the wire
    assert len(wire.batches("t-1")) > 1
    assert {b["stage"] for b in wire.batches("t-1")} == {"chat"}
    assert result["model"] == "test-model"
    assert result["doneReason"] == "stop"
    assert result["usage"]["promptTokens"] == 7 and result["usage"]["completionTokens"] == 8
    assert (
        result["timings"]["firstTokenMs"] > 0
        and result["timings"]["totalMs"] >= (result["timings"]["firstTokenMs"])
    )
    assert result["conversationId"]
    wire.assert_nothing_after_response(request_id, "t-1")

    progress = wire.progress("t-1")
    assert progress[0]["kind"] == "begin" and progress[0]["cancellable"] is True
    assert progress[-1] == {"kind": "end", "message": "Done"}
    reports = progress[1:-1]
    assert reports and all(r["kind"] == "report" for r in reports)
    assert "".join(r["text"] for r in reports) == expected
    assert all(r["textKind"] == "content" and r["stage"] == "chat" for r in reports)
    assert reports[-1]["message"].startswith("Generating · ")


async def test_thinking_is_streamed_apart_from_the_answer(
    start_client: StartClient, fake: FakeModelServer
):
    fake.script(Script(thinking=["Let me ", "think…"], chunks=["The ", "answer."]))
    client = await start_client()
    result = await client.command(Command.CHAT, {"prompt": "q"}, token="t")
    assert result["text"] == "The answer."
    assert result["thinking"] == "Let me think…"
    assert client.wire.text("t", kind="thinking") == "Let me think…"
    assert client.wire.text("t", kind="content") == "The answer."
    kinds = [b["kind"] for b in client.wire.batches("t")]
    assert kinds == sorted(kinds, key=lambda k: k != "thinking")  # one kind per batch, in order


async def test_batches_are_throttled_but_the_first_goes_at_once(
    start_client: StartClient, fake: FakeModelServer
):
    chunks = [f"w{i} " for i in range(200)]
    fake.script(Script(chunks=chunks, delay_s=0.001))
    client = await start_client({"streaming": {"flushIntervalMs": 50}})
    _, outcome = client.send_command(Command.CHAT, {"prompt": "q"}, token="t")
    result = await outcome
    batches = client.wire.batches("t")
    assert result["text"] == "".join(chunks) == client.wire.text("t")
    assert batches[0]["text"] == "w0 "  # the leading edge: no waiting for a batch to fill
    assert len(batches) < len(chunks) / 3  # merged, not one notification per token


async def test_flush_interval_zero_sends_every_delta(
    start_client: StartClient, fake: FakeModelServer
):
    fake.script(Script(chunks=["a", "b", "c", "d"], delay_s=0.01))
    client = await start_client({"streaming": {"flushIntervalMs": 0}})
    await client.command(Command.CHAT, {"prompt": "q"}, token="t")
    assert [b["text"] for b in client.wire.batches("t")] == ["a", "b", "c", "d"]


async def test_server_creates_a_progress_token_when_the_client_supports_progress(
    start_client: StartClient, fake: FakeModelServer
):
    capabilities = lsp.ClientCapabilities(
        window=lsp.WindowClientCapabilities(work_done_progress=True)
    )
    client = await start_client(capabilities=capabilities)
    request_id, outcome = client.send_command(Command.CHAT, {"prompt": "q"})
    await outcome
    created = list(client.progress_reports)  # pytest-lsp records window/workDoneProgress/create
    assert len(created) == 1
    token = created[0]
    assert client.wire.text(token) == "Hello, world!"
    assert client.wire.progress(token)[-1]["message"] == "Done"
    client.wire.assert_nothing_after_response(request_id, token)


async def test_without_progress_tokens_route_by_request_id(
    start_client: StartClient, fake: FakeModelServer
):
    client = await start_client()
    request_id, outcome = client.send_command(Command.CHAT, {"prompt": "q"})
    await outcome
    assert client.wire.text(request_id) == "Hello, world!"
    assert not [e for e in client.wire.events if e[0] == "progress"]


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_both_backends_stream(start_client: StartClient, fake: FakeModelServer, backend):
    fake.script(Script(chunks=UNICODE_CHUNKS, done_reason="length"))
    client = await start_client({"backend": backend})
    result = await client.command(Command.CHAT, {"prompt": "q"}, token="t")
    assert result["text"] == "".join(UNICODE_CHUNKS) == client.wire.text("t")
    assert result["doneReason"] == "length"
    expected_path = "/api/chat" if backend == "ollama" else "/v1/chat/completions"
    assert fake.requests[-1].path == expected_path


async def test_options_reach_the_model(start_client: StartClient, fake: FakeModelServer):
    client = await start_client()
    await client.command(
        Command.CHAT,
        {"prompt": "q", "model": "smollm2", "options": {"temperature": 0.2, "numCtx": 4096}},
    )
    body = fake.requests[-1].body
    assert body["model"] == "smollm2"
    assert body["options"] == {"temperature": 0.2, "num_ctx": 4096}
    assert body["stream"] is True


async def test_concurrent_chats_are_routed_to_their_own_tokens(
    start_client: StartClient, fake: FakeModelServer
):
    texts = {}
    for n in range(6):
        chunks = [f"<{n}:{i}>" for i in range(30)]
        texts[n] = "".join(chunks)
        fake.script(Script(chunks=chunks, delay_s=0.002), match=f"stream {n}")
    client = await start_client({"streaming": {"flushIntervalMs": 16}})
    sent = {
        n: client.send_command(Command.CHAT, {"prompt": f"stream {n}"}, token=f"tok-{n}")
        for n in texts
    }
    for n, (request_id, outcome) in sent.items():
        result = await outcome
        assert result["text"] == texts[n] == client.wire.text(f"tok-{n}")
        client.wire.assert_nothing_after_response(request_id, f"tok-{n}")
