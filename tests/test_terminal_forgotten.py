"""The terminal client says when the server had forgotten the conversation (`historyForgotten`).

`ollama-lsp chat` holds one conversation per server it starts, so the condition is made here with
the client in the test's process: memory for one conversation, storage off, and a second
conversation in between (the client's conversation id set by hand)."""

from __future__ import annotations

import pytest

from fake_model_server import FakeModelServer, Script
from ollama_lsp.terminal.client import HISTORY_FORGOTTEN, TerminalClient


async def test_an_answer_without_the_forgotten_turns_is_noted(
    fake: FakeModelServer, capsys: pytest.CaptureFixture[str]
):
    fake.script(Script(chunks=["Answered."]))
    settings = {"chat": {"maxConversations": 1}, "storage": {"enabled": False}}
    client = TerminalClient([f"--base-url={fake.base_url}", "--model=test-model"], False, settings)
    await client.start()
    try:
        first = client._conversation_id
        assert await client.ask("first") == 0
        assert await client.ask("second") == 0
        client._conversation_id = "another conversation"  # the server now forgets the first
        assert await client.ask("elsewhere") == 0
        assert "[note:" not in capsys.readouterr().err
        client._conversation_id = first
        assert await client.ask("third") == 0
    finally:
        await client.stop()
    out, err = capsys.readouterr()
    assert out == "Answered.\n"
    assert err == f"[note: {HISTORY_FORGOTTEN}]\n"
    assert [m["content"] for m in fake.requests[-1].body["messages"][1:]] == ["third"]
