"""Multi-turn history, editor context in the prompt, reset, and settings from the client."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from fake_model_server import FakeModelServer, Script
from ollama_lsp.server.protocol import Command
from tests.lsp_helpers import StartClient

MEMORY_ONLY = {"enabled": False}


async def test_history_is_kept_per_conversation(start_client: StartClient, fake: FakeModelServer):
    client = await start_client({"chat": {"systemPrompt": "Be brief."}})
    fake.script(Script(chunks=["First answer."]))
    first = await client.command(Command.CHAT, {"prompt": "first question"})
    conversation = first["conversationId"]
    fake.script(Script(chunks=["Second answer."]))
    await client.command(
        Command.CHAT, {"prompt": "second question", "conversationId": conversation}
    )
    assert fake.requests[-1].body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "First answer."},
        {"role": "user", "content": "second question"},
    ]
    # Another conversation does not see it.
    await client.command(Command.CHAT, {"prompt": "elsewhere", "conversationId": "other"})
    assert len(fake.requests[-1].body["messages"]) == 2


async def test_history_is_capped(start_client: StartClient, fake):
    client = await start_client({"chat": {"maxHistoryMessages": 2}})
    for n in range(4):
        await client.command(Command.CHAT, {"prompt": f"q{n}", "conversationId": "c"})
    contents = [m["content"] for m in fake.requests[-1].body["messages"]]
    assert contents[1:] == ["q2", "Hello, world!", "q3"]


async def test_least_recently_used_conversations_are_forgotten(start_client: StartClient, fake):
    """Memory holds `chat.maxConversations`; without storage continuing a forgotten one starts
    over, and the result says so (a new id, or one reset, is not "forgotten"). With storage it
    comes back from disk: test_history.py."""
    client = await start_client({"chat": {"maxConversations": 2}, "storage": MEMORY_ONLY})

    async def ask(conversation: str) -> dict[str, Any]:
        result = await client.command(
            Command.CHAT, {"prompt": f"to {conversation}", "conversationId": conversation}
        )
        assert isinstance(result, dict)
        return result

    assert (await ask("a"))["historyForgotten"] is False
    await ask("b")
    await ask("a")  # now b is the least recently used
    await ask("c")  # a third conversation: b is forgotten
    assert (await ask("a"))["historyForgotten"] is False
    assert len(fake.requests[-1].body["messages"]) == 6  # system, 2 turns, the new prompt
    forgotten = await ask("b")
    assert forgotten["historyForgotten"] is True
    assert [m["role"] for m in fake.requests[-1].body["messages"]] == ["system", "user"]
    # b is held again from its new start: its next turn sees that one.
    assert (await ask("b"))["historyForgotten"] is False
    assert len(fake.requests[-1].body["messages"]) == 4


async def test_a_conversation_keeps_only_the_messages_a_prompt_can_use(
    start_client: StartClient, fake
):
    """`chat.maxHistoryMessages` also bounds what a conversation keeps: raising it later does
    not bring older turns back."""
    client = await start_client({"chat": {"maxHistoryMessages": 2}})
    for n in range(4):
        await client.command(Command.CHAT, {"prompt": f"q{n}", "conversationId": "c"})
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(settings={"ollama": {"chat": {"maxHistoryMessages": 20}}})
    )
    await client.command(Command.CHAT, {"prompt": "q4", "conversationId": "c"})
    contents = [m["content"] for m in fake.requests[-1].body["messages"]]
    assert contents[1:] == ["q3", "Hello, world!", "q4"]


async def test_reset_conversation(start_client: StartClient, fake):
    """Without storage a reset conversation starts over (with storage its stored copy comes
    back: test_history.py)."""
    client = await start_client({"storage": MEMORY_ONLY})
    await client.command(Command.CHAT, {"prompt": "q1", "conversationId": "c"})
    assert await client.command(Command.RESET_CONVERSATION, {"conversationId": "c"}) is None
    result = await client.command(Command.CHAT, {"prompt": "q2", "conversationId": "c"})
    assert [m["content"] for m in fake.requests[-1].body["messages"][1:]] == ["q2"]
    assert result["historyForgotten"] is False  # the user asked for it
    # Unknown ids are a no-op.
    assert await client.command(Command.RESET_CONVERSATION, {"conversationId": "zzz"}) is None


async def test_context_from_open_documents_and_workspace_files(
    start_client: StartClient, fake, tmp_path: Path
):
    on_disk = tmp_path / "util.rs"
    on_disk.write_text("fn helper() -> u8 { 42 }\n")
    client = await start_client(workspace=tmp_path.as_uri())
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri="untitled:main.py",
                language_id="python",
                version=1,
                text="import re\n\nPATTERN = re.compile('^a+b?$')  # 🎉\nprint(PATTERN)\n",
            )
        )
    )
    await client.command(
        Command.CHAT,
        {
            "prompt": "explain this regex",
            "context": [
                {
                    "uri": "untitled:main.py",
                    "range": {
                        "start": {"line": 2, "character": 0},
                        "end": {"line": 2, "character": 36},  # UTF-16: the emoji counts 2
                    },
                },
                {"uri": on_disk.as_uri()},
            ],
        },
    )
    user = fake.requests[-1].body["messages"][-1]["content"]
    assert "main.py (python, lines 3-3)" in user
    assert "PATTERN = re.compile('^a+b?$')  # 🎉" in user
    assert "print(PATTERN)" not in user
    assert "util.rs (rust)" in user and "fn helper() -> u8 { 42 }" in user
    assert user.rstrip().endswith("explain this regex")


async def test_context_respects_the_budget(start_client: StartClient, fake, tmp_path: Path):
    big = tmp_path / "big.py"
    big.write_text("x = 1\n" * 10_000)
    client = await start_client({"chat": {"maxContextChars": 600}}, workspace=tmp_path.as_uri())
    await client.command(Command.CHAT, {"prompt": "q", "context": [{"uri": big.as_uri()}] * 2})
    user = fake.requests[-1].body["messages"][-1]["content"]
    assert len(user) < 1200
    assert "[truncated]" in user and "left out" in user


async def test_context_range_outside_the_document(start_client: StartClient, fake):
    client = await start_client()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri="untitled:a", language_id="c", version=1, text="int x;\n"
            )
        )
    )
    _, outcome = client.send_command(
        Command.CHAT,
        {
            "prompt": "q",
            "context": [
                {
                    "uri": "untitled:a",
                    "range": {
                        "start": {"line": 9, "character": 0},
                        "end": {"line": 9, "character": 1},
                    },
                }
            ],
        },
    )
    try:
        await outcome
    except Exception as error:
        assert error.data == {"field": "context[0].range"}  # type: ignore[attr-defined]
    else:
        raise AssertionError("a range outside the document must be rejected")


async def test_settings_from_workspace_configuration_and_changes(start_client: StartClient, fake):
    capabilities = lsp.ClientCapabilities(
        workspace=lsp.WorkspaceClientCapabilities(configuration=True)
    )
    client = await start_client(capabilities=capabilities)
    client.set_configuration({"model": "smollm2"}, section="ollama")
    # A change without the section inline makes the server ask `workspace/configuration`.
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(settings=None))

    async def default_model() -> str:
        return (await client.command(Command.LIST_MODELS, {}))["default"]

    async with asyncio.timeout(5):
        while await default_model() != "smollm2":
            await asyncio.sleep(0.02)
    # didChangeConfiguration with the section inline works too.
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(settings={"ollama": {"model": "qwen2.5-coder:1.5b"}})
    )
    assert await default_model() == "qwen2.5-coder:1.5b"
    result = await client.command(Command.CHAT, {"prompt": "q"})
    assert result["model"] == fake.requests[-1].body["model"] == "qwen2.5-coder:1.5b"


async def test_command_line_flags_override_client_settings(start_client: StartClient, fake):
    client = await start_client({"model": "from-client"}, args=["--model", "smollm2"])
    result = await client.command(Command.CHAT, {"prompt": "q"})
    assert result["model"] == "smollm2"
    assert fake.requests[-1].body["model"] == "smollm2"


async def test_changing_base_url_switches_model_server(start_client: StartClient, fake):
    client = await start_client()
    await client.command(Command.CHAT, {"prompt": "q"})
    async with FakeModelServer() as other:
        other.script(Script(chunks=["from the other server"]))
        client.workspace_did_change_configuration(
            lsp.DidChangeConfigurationParams(settings={"ollama": {"baseUrl": other.base_url}})
        )
        result = await client.command(Command.CHAT, {"prompt": "q"})
        assert result["text"] == "from the other server"
        assert len(fake.requests) == 1 and len(other.requests) == 1
