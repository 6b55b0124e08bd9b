"""Inline completion (`textDocument/inlineCompletion`) over a real LSP connection, against the
fake model server in both dialects: what is sent, when the model stream closes, debounce,
cancel, supersede, the cache, and errors shown once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from fake_model_server import FakeModelServer, Script
from ollama_lsp.server.protocol import REQUEST_CANCELLED
from tests.lsp_helpers import (
    OllamaClient,
    StartClient,
    change_document,
    open_document,
    wait_until,
)
from tests.support import free_port

#: A model that fills in the middle and whose FIM template is known by its name.
CODE_MODEL = "qwen2.5-coder:1.5b"
DIALECTS = ["ollama", "openai"]
#: A model that never stops on its own: only the stop rules (or a cancel) end its stream.
ENDLESS = [f"x{i} " for i in range(2000)]


def settings(backend: str = "ollama", **completion: Any) -> dict[str, Any]:
    return {
        "backend": backend,
        "completion": {"model": CODE_MODEL, "debounceMs": 0, **completion},
    }


async def complete(client: OllamaClient, line: int, character: int, **kwargs: Any) -> list[str]:
    """The suggestions' texts, each checked to be an insertion at the cursor."""
    _, outcome = client.send_completion(line, character, **kwargs)
    result = await asyncio.wait_for(outcome, 10)
    for item in result.items:
        cursor = lsp.Position(line, character)
        assert item.range == lsp.Range(cursor, cursor)
    return [item.insert_text for item in result.items]


def sent_prompt(fake: FakeModelServer, n: int = 1) -> tuple[str, str | None]:
    """The n-th fill request's prompt and suffix as the model server got them."""
    body = fake.requests[n - 1].body
    assert fake.requests[n - 1].fill
    return body["prompt"], body.get("suffix")


async def test_the_capability_is_announced(start_client: StartClient):
    client = await start_client()
    assert client.server_capabilities is not None
    assert client.server_capabilities.inline_completion_provider is not None


@pytest.mark.parametrize("backend", DIALECTS)
async def test_prefix_and_suffix_are_sent_exactly(start_client: StartClient, fake, backend):
    """UTF-16 positions past an emoji, CRLF line ends kept as they are."""
    text = (
        '# 🎉 party\r\ndef greet(name):\r\n    return f"🎉 {name}" + \r\n\r\nprint(greet("x"))\r\n'
    )
    fake.script(Script(chunks=['"!"', "\n", "more"]))
    client = await start_client(settings(backend))
    open_document(client, text)
    line = '    return f"🎉 {name}" + '
    cursor_units = len(line.encode("utf-16-le")) // 2  # the emoji counts 2
    assert await complete(client, 2, cursor_units) == ['"!"']
    offset = text.index(line) + len(line)
    prefix, suffix = text[:offset], text[offset:]
    if backend == "ollama":
        assert sent_prompt(fake) == (prefix, suffix)
        assert fake.requests[0].path == "/api/generate"
        assert fake.requests[0].body["keep_alive"] == "30m"
    else:
        expected = f"<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"
        assert sent_prompt(fake) == (expected, None)
        assert fake.requests[0].path == "/v1/completions"
        assert "<|endoftext|>" in fake.requests[0].body["stop"]


async def test_prefix_and_suffix_budgets_are_whole_lines(start_client: StartClient, fake):
    text = "".join(f"line{i}\n" for i in range(10))
    client = await start_client(settings(prefixLines=2, suffixLines=1))
    open_document(client, text)
    await complete(client, 5, 2)
    assert sent_prompt(fake) == ("line3\nline4\nli", "ne5\nline6\n")


@pytest.mark.parametrize("backend", DIALECTS)
@pytest.mark.parametrize(
    ("text", "cursor", "chunks", "expected"),
    [
        # mid-line: the end of the line (and the line's rest, repeated, dropped)
        ("x = max(a, )\n", (0, 11), ["b", ")", "\n", *ENDLESS], "b"),
        # an empty line in a body: a block, until the indentation returns
        (
            "def f(items):\n    \n",
            (1, 4),
            ["for i in items:\n", "        print(i)\n", "    return", *ENDLESS],
            "for i in items:\n        print(i)",
        ),
        # the block starts repeating the code below the cursor
        (
            "def f():\n    \n    return total\n",
            (1, 4),
            ["total = 0\n", "    return total\n", *ENDLESS],
            "total = 0",
        ),
    ],
    ids=["mid-line", "block", "suffix-repeated"],
)
async def test_the_model_stream_closes_once_the_suggestion_is_complete(
    start_client: StartClient, fake, backend, text, cursor, chunks, expected
):
    fake.script(Script(chunks=chunks, delay_s=0.005))
    client = await start_client(settings(backend, maxTokens=5000))
    open_document(client, text)
    assert await complete(client, *cursor) == [expected]
    request = fake.requests[0]
    await fake.wait_disconnect(request)
    assert not request.finished
    assert request.chunks_sent < len(chunks) - 1000


async def test_max_tokens_closes_the_model_stream(start_client: StartClient, fake):
    fake.script(Script(chunks=ENDLESS, delay_s=0.005))
    client = await start_client(settings(maxTokens=4))
    open_document(client, "x = (\n")
    assert await complete(client, 0, 4) == ["x0 x1 x2 x3"]
    assert fake.requests[0].body["options"]["num_predict"] == 4
    await fake.wait_disconnect(fake.requests[0])


async def test_the_time_cap_keeps_the_complete_lines(start_client: StartClient, fake):
    fake.script(Script(chunks=["if a:\n", "        b = ", *ENDLESS], delay_s=0.02))
    client = await start_client(settings(maxTimeMs=300, maxTokens=5000))
    open_document(client, "def f():\n    \n")
    assert await complete(client, 1, 4) == ["if a:"]
    await fake.wait_disconnect(fake.requests[0])


async def test_a_request_cancelled_during_the_debounce_never_reaches_the_model(
    start_client: StartClient, fake
):
    client = await start_client(settings(debounceMs=3000))
    open_document(client, "print(\n")
    request_id, outcome = client.send_completion(0, 6)
    client.cancel(request_id)
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.code == REQUEST_CANCELLED
    # An explicit request (no debounce) is the first the model server sees.
    assert await complete(client, 0, 6, invoked=True) == ["Hello, world!"]
    assert len(fake.requests) == 1


async def test_the_debounce_waits_before_asking(start_client: StartClient, fake):
    client = await start_client(settings(debounceMs=1500))
    open_document(client, "print(\n")
    _, outcome = client.send_completion(0, 6)
    await asyncio.sleep(0.2)
    assert fake.requests == []
    assert (await outcome).items[0].insert_text == "Hello, world!"


@pytest.mark.parametrize("backend", DIALECTS)
async def test_cancel_during_generation_closes_the_model_stream(
    start_client: StartClient, fake, backend
):
    fake.script(Script(chunks=ENDLESS, delay_s=0.02))
    client = await start_client(settings(backend, maxTokens=5000))
    open_document(client, "x = (\n")
    request_id, outcome = client.send_completion(0, 4)
    request = await fake.wait_for_request()
    await wait_until(lambda: request.chunks_sent >= 2)
    client.cancel(request_id)
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.code == REQUEST_CANCELLED
    await fake.wait_disconnect(request, timeout=2)
    assert not request.finished


async def test_a_new_request_supersedes_the_one_in_flight(start_client: StartClient, fake):
    """Without any cancel from the client: the old one answers an empty list, its model
    stream closed; the new one answers."""
    fake.script(Script(chunks=ENDLESS, delay_s=0.02))
    fake.script(Script(chunks=["second"]), match="x = (y")
    client = await start_client(settings(maxTokens=5000))
    open_document(client, "x = (\n")
    _, first = client.send_completion(0, 4)
    request = await fake.wait_for_request()
    await wait_until(lambda: request.chunks_sent >= 2)
    change_document(client, (0, 5), (0, 5), "y", version=2)
    assert await complete(client, 0, 6) == ["second"]
    assert len((await first).items) == 0
    await fake.wait_disconnect(request, timeout=2)
    assert len(fake.requests) == 2


async def test_typing_what_a_suggestion_starts_with_serves_the_rest_from_the_cache(
    start_client: StartClient, fake
):
    fake.script(Script(chunks=["compute", "(x", ")"]))
    client = await start_client(settings())
    open_document(client, "def f(x):\n    return \n")
    assert await complete(client, 1, 11) == ["compute(x)"]
    change_document(client, (1, 11), (1, 11), "com", version=2)
    assert await complete(client, 1, 14) == ["pute(x)"]
    change_document(client, (1, 14), (1, 14), "p", version=3)
    assert await complete(client, 1, 15) == ["ute(x)"]
    assert len(fake.requests) == 1
    # Typing something else asks the model.
    fake.script(Script(chunks=["other"]))
    change_document(client, (1, 15), (1, 15), "X", version=4)
    assert await complete(client, 1, 16) == ["other"]
    assert len(fake.requests) == 2


async def test_an_edit_elsewhere_does_not_serve_a_stale_suggestion(start_client: StartClient, fake):
    fake.script(Script(chunks=["compute(x)"]))
    client = await start_client(settings())
    open_document(client, "def f(x):\n    return \n")
    assert await complete(client, 1, 11) == ["compute(x)"]
    change_document(client, (0, 6), (0, 7), "y", version=2)  # def f(y):
    fake.script(Script(chunks=["compute(y)"]))
    assert await complete(client, 1, 11) == ["compute(y)"]
    assert len(fake.requests) == 2
    # Back as it was: the first suggestion again, from the cache.
    change_document(client, (0, 6), (0, 7), "x", version=3)
    assert await complete(client, 1, 11) == ["compute(x)"]
    assert len(fake.requests) == 2


async def test_an_unreachable_server_is_reported_once(start_client: StartClient, fake):
    dead = f"http://127.0.0.1:{free_port()}"
    client = await start_client({**settings(), "baseUrl": dead})
    open_document(client, "x = (\n")
    for _ in range(4):
        assert await complete(client, 0, 4) == []
    await wait_until(lambda: client.messages)
    assert len(client.messages) == 1
    assert "Cannot reach Ollama" in client.messages[0].message
    # Other settings, still unreachable: news again, once.
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(
            settings={"ollama": {"completion": {"debounceMs": 1}, "baseUrl": dead}}
        )
    )
    for _ in range(3):
        assert await complete(client, 0, 4) == []
    await wait_until(lambda: len(client.messages) == 2)
    # Reachable again: completions work, and a later failure is news.
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(
            settings={"ollama": {"completion": {"debounceMs": 1}, "baseUrl": fake.base_url}}
        )
    )
    assert await complete(client, 0, 4) == ["Hello, world!"]
    assert len(client.messages) == 2


async def test_a_model_without_fill_in_the_middle_is_reported_once(start_client: StartClient, fake):
    fake.models_without_fim.add("test-model")
    client = await start_client(settings(model="test-model"))
    open_document(client, "x = (\n)\n")
    for _ in range(3):
        assert await complete(client, 0, 4) == []
    await wait_until(lambda: client.messages)
    assert len(client.messages) == 1
    message = client.messages[0].message
    assert "cannot fill in the middle" in message and "completion.model" in message


async def test_an_unknown_model_family_on_openai_says_what_to_set(start_client: StartClient, fake):
    client = await start_client(settings("openai", model="test-model"))
    open_document(client, "x = (\n")
    assert await complete(client, 0, 4) == []
    await wait_until(lambda: client.messages)
    assert "completion.fimTemplate" in client.messages[0].message
    assert fake.requests == []


@pytest.mark.parametrize("backend", DIALECTS)
async def test_prefix_only_completion(start_client: StartClient, fake, backend):
    """A model without FIM completes the prefix: `fimTemplate: none` on OpenAI-compatible
    servers, a cursor at the end of the document on Ollama (raw prompt, no template)."""
    fake.script(Script(chunks=["1, 2]"]))
    client = await start_client(settings(backend, model="test-model", fimTemplate="none"))
    open_document(client, "numbers = [")
    assert await complete(client, 0, 11) == ["1, 2]"]
    assert sent_prompt(fake) == ("numbers = [", None)
    if backend == "ollama":
        assert fake.requests[0].body["raw"] is True


async def test_a_loading_model_is_not_cancelled_into_starvation(start_client: StartClient, fake):
    """The first request waits long for its first token (the model loads): cancelled, it
    answers at once, but its model request stays open until the first token; meanwhile a new
    request waits instead of queueing another."""
    fake.script(Script(head_delay_s=1.5, chunks=["loaded", *ENDLESS], delay_s=0.02))
    client = await start_client(settings(maxTokens=5000))
    open_document(client, "x = (\n")
    request_id, outcome = client.send_completion(0, 4)
    loading = await fake.wait_for_request()
    await asyncio.sleep(1.1)  # past LOADING_AFTER_S
    client.cancel(request_id)
    with pytest.raises(JsonRpcException):
        await outcome
    assert loading.disconnected_at is None
    fake.script(Script(chunks=["warm"]))
    _, second = client.send_completion(0, 4)
    await fake.wait_disconnect(loading)
    assert loading.chunks_sent >= 1  # it got its first token before it was closed
    assert (await second).items[0].insert_text == "warm"
    assert fake.requests[1].disconnected_at is None


async def test_a_cache_hit_also_supersedes_the_request_in_flight(start_client: StartClient, fake):
    fake.script(Script(chunks=["compute(x)"]))
    client = await start_client(settings(maxTokens=5000))
    open_document(client, "def f(x):\n    return \n")
    assert await complete(client, 1, 11) == ["compute(x)"]
    fake.script(Script(chunks=ENDLESS, delay_s=0.02))
    change_document(client, (1, 11), (1, 11), "X", version=2)
    _, in_flight = client.send_completion(1, 12)
    request = await fake.wait_for_request(2)
    await wait_until(lambda: request.chunks_sent >= 2)
    change_document(client, (1, 11), (1, 12), "", version=3)  # the X deleted again
    assert await complete(client, 1, 11) == ["compute(x)"]
    assert len((await in_flight).items) == 0
    await fake.wait_disconnect(request, timeout=2)
