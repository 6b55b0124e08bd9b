"""Conversation history in SQLite: it survives restarts, several servers write it at once, it
is bounded, and a file that fails never costs the conversation in memory.

Real server processes over LSP, real files: each test's `XDG_DATA_HOME` is a folder of its own
(conftest's `data_home`), and a restart is one server ended and another started on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from fake_model_server import FakeModelServer, Script
from ollama_lsp.agents.history import (
    BUSY_BACKOFF_S,
    SCHEMA_VERSION,
    HistoryStore,
    Retention,
    StoredTurn,
)
from ollama_lsp.agents.history import (
    now_ms as history_now_ms,
)
from ollama_lsp.server.protocol import REQUEST_FAILED, Command
from tests.lsp_helpers import OllamaClient, StartClient, wait_until

SLOW = Script(chunks=[f"tok{i} " for i in range(1000)], delay_s=0.02)


def history_file(data_home: Path) -> Path:
    return data_home / "ollama-lsp" / "history.sqlite3"


async def chat(client: OllamaClient, prompt: str, conversation_id: str | None = None) -> Any:
    argument = {"prompt": prompt}
    if conversation_id is not None:
        argument["conversationId"] = conversation_id
    return await client.command(Command.CHAT, argument)


async def all_conversations(client: OllamaClient, limit: int = 50) -> list[dict[str, Any]]:
    """Every page of `ollama.listConversations`, followed by its cursor."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        argument: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            argument["cursor"] = cursor
        page = await client.command(Command.LIST_CONVERSATIONS, argument)
        found += page["conversations"]
        if (cursor := page["nextCursor"]) is None:
            return found


async def failure(client: OllamaClient, command: Command, argument: Any) -> JsonRpcException:
    with pytest.raises(JsonRpcException) as info:
        await client.command(command, argument)
    assert info.value.code == REQUEST_FAILED
    return info.value


def storage_messages(client: OllamaClient) -> list[str]:
    return [m.message for m in client.messages if "history" in m.message]


# --- surviving a restart ---------------------------------------------------------------------


async def test_a_conversation_continues_after_a_restart(
    start_client: StartClient, fake: FakeModelServer, data_home: Path, tmp_path: Path
):
    workspace = tmp_path.resolve().as_uri()
    first = await start_client(workspace=workspace)
    fake.script(Script(chunks=["First ", "answer."]))
    conversation = (await chat(first, "  first question\nsecond line"))["conversationId"]
    fake.script(Script(chunks=["Second answer."]))
    await chat(first, "second question", conversation)
    await first.end()

    second = await start_client()
    fake.script(Script(chunks=["Third answer."]))
    result = await chat(second, "third question", conversation)
    assert result["historyForgotten"] is False
    # The model of the new server process saw the earlier turns.
    assert fake.requests[-1].body["messages"][1:] == [
        {"role": "user", "content": "  first question\nsecond line"},
        {"role": "assistant", "content": "First answer."},
        {"role": "user", "content": "second question"},
        {"role": "assistant", "content": "Second answer."},
        {"role": "user", "content": "third question"},
    ]
    page = await second.command(Command.LIST_CONVERSATIONS, {})
    (entry,) = page["conversations"]
    assert entry["id"] == conversation
    assert entry["title"] == "first question"
    assert entry["workspaceFolder"] == workspace
    assert entry["messageCount"] == 6
    assert entry["createdAt"] <= entry["updatedAt"] and entry["updatedAt"].endswith("Z")
    assert page["nextCursor"] is None
    assert page["storage"] == {
        "enabled": True,
        "path": str(history_file(data_home)),
        "problem": None,
    }
    stored = await second.command(Command.GET_CONVERSATION, {"conversationId": conversation})
    assert stored["conversation"] == entry | {"updatedAt": stored["conversation"]["updatedAt"]}
    assert [(t["role"], t["text"], t["interrupted"], t["model"]) for t in stored["turns"]] == [
        ("user", "  first question\nsecond line", False, None),
        ("assistant", "First answer.", False, "test-model"),
        ("user", "second question", False, None),
        ("assistant", "Second answer.", False, "test-model"),
        ("user", "third question", False, None),
        ("assistant", "Third answer.", False, "test-model"),
    ]
    assert not storage_messages(second)


async def test_stopped_and_failed_answers_are_stored_as_interrupted_turns(
    start_client: StartClient, fake: FakeModelServer
):
    first = await start_client()
    fake.script(SLOW)
    request_id, outcome = first.send_command(
        Command.CHAT, {"prompt": "go on", "conversationId": "stopped"}, token="t"
    )
    await first.wire.wait_for(lambda: len(first.wire.batches("t")) >= 3)
    first.cancel(request_id)
    with pytest.raises(JsonRpcException):
        await outcome
    partial = first.wire.text("t")
    fake.script(Script(chunks=["half ", "an ", "answer"], error_after=2))
    with pytest.raises(JsonRpcException):
        await chat(first, "fail please", "failed")
    await first.end()

    second = await start_client()
    stopped = await second.command(Command.GET_CONVERSATION, {"conversationId": "stopped"})
    assert [(t["text"], t["interrupted"], t["failed"], t["model"]) for t in stopped["turns"]] == [
        ("go on", False, False, None),
        (partial, True, False, "test-model"),
    ]
    failed = await second.command(Command.GET_CONVERSATION, {"conversationId": "failed"})
    assert [(t["text"], t["interrupted"], t["failed"]) for t in failed["turns"]] == [
        ("fail please", False, False),
        ("half an ", True, True),
    ]
    # Continuing tells the model the answer it gave was cut short, as it does in memory.
    fake.script(Script(chunks=["ok"]))
    await chat(second, "and then?", "stopped")
    messages = fake.requests[-1].body["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[2]["content"].startswith(partial) and "interrupted" in messages[2]["content"]


async def test_conversations_memory_forgot_or_released_come_back_from_storage(
    start_client: StartClient, fake: FakeModelServer
):
    """Memory holds `chat.maxConversations`; with storage a conversation it forgot, or one
    `ollama.resetConversation` released (New chat), continues from disk."""
    client = await start_client({"chat": {"maxConversations": 1}})
    await chat(client, "a1", "a")
    await chat(client, "b1", "b")  # a is forgotten
    result = await chat(client, "a2", "a")
    assert result["historyForgotten"] is False
    contents = [m["content"] for m in fake.requests[-1].body["messages"][1:]]
    assert contents == ["a1", "Hello, world!", "a2"]
    assert await client.command(Command.RESET_CONVERSATION, {"conversationId": "a"}) is None
    await chat(client, "a3", "a")
    assert len(fake.requests[-1].body["messages"]) == 6


async def test_delete_removes_a_conversation_from_storage_and_memory(
    start_client: StartClient, fake: FakeModelServer
):
    client = await start_client()
    await chat(client, "keep me", "kept")
    await chat(client, "delete me", "gone")
    deleted = await client.command(Command.DELETE_CONVERSATION, {"conversationId": "gone"})
    assert deleted == {"deleted": True}
    assert [c["id"] for c in await all_conversations(client)] == ["kept"]
    error = await failure(client, Command.GET_CONVERSATION, {"conversationId": "gone"})
    assert error.data["kind"] == "notFound"
    # Continuing the id starts a new conversation: the model sees no earlier turn.
    result = await chat(client, "again", "gone")
    assert result["historyForgotten"] is False
    assert [m["role"] for m in fake.requests[-1].body["messages"]] == ["system", "user"]
    again = await client.command(Command.DELETE_CONVERSATION, {"conversationId": "nothing"})
    assert again == {"deleted": False}


async def test_the_history_shows_an_answer_the_moment_it_ends(
    start_client: StartClient, fake: FakeModelServer
):
    """Writes are queued, not awaited, but queued before the answer's response: a list or a
    get sent when the response arrives (a user opening the history list then) sees it, done or
    stopped, every time."""
    client = await start_client()
    for n in range(30):
        await chat(client, f"question {n}", f"done-{n}")
        page = await client.command(Command.LIST_CONVERSATIONS, {"limit": 1})
        assert [(c["id"], c["messageCount"]) for c in page["conversations"]] == [(f"done-{n}", 2)]
    long_answer = Script(chunks=[f"tok{i} " for i in range(1000)], delay_s=0.005)

    async def stop_midway(conversation: str) -> None:
        fake.script(long_answer)
        request_id, outcome = client.send_command(
            Command.CHAT, {"prompt": "go on", "conversationId": conversation}, token=conversation
        )
        await client.wire.wait_for(lambda: len(client.wire.batches(conversation)) >= 2)
        client.cancel(request_id)
        with pytest.raises(JsonRpcException):
            await outcome

    for n in range(10):
        await stop_midway(f"stopped-{n}")
        stored = await client.command(Command.GET_CONVERSATION, {"conversationId": f"stopped-{n}"})
        assert [t["interrupted"] for t in stored["turns"]] == [False, True]


# --- several servers, paging, retention ------------------------------------------------------


async def test_two_servers_write_one_history_at_once(
    start_client: StartClient, fake: FakeModelServer
):
    """Two editor windows chatting at the same moment, 8 chats in flight each: every turn is
    stored, and no "database is locked" reaches anyone."""
    windows = [await start_client(), await start_client()]
    in_flight = asyncio.Semaphore(8)

    async def converse(client: OllamaClient, conversation: str) -> None:
        async with in_flight:
            await chat(client, f"{conversation} one", conversation)
            await chat(client, f"{conversation} two", conversation)

    await asyncio.gather(
        *(converse(client, f"w{w}-{n}") for n in range(25) for w, client in enumerate(windows))
    )
    for client in windows:
        listed = await all_conversations(client, limit=7)  # several pages
        assert sorted(c["id"] for c in listed) == sorted(
            f"w{w}-{n}" for n in range(25) for w in range(2)
        )
        assert {c["messageCount"] for c in listed} == {4}
        updated = [c["updatedAt"] for c in listed]
        assert updated == sorted(updated, reverse=True)
        assert not storage_messages(client)
    stored = await windows[0].command(Command.GET_CONVERSATION, {"conversationId": "w1-24"})
    assert [t["text"] for t in stored["turns"]] == [
        "w1-24 one",
        "Hello, world!",
        "w1-24 two",
        "Hello, world!",
    ]


def test_a_write_waits_for_another_process_lock_instead_of_failing(tmp_path: Path):
    """Past `busy_timeout` the store tries again with backoff: another connection holding the
    write lock longer than the timeout delays a write, it does not fail it."""
    path = tmp_path / "history.sqlite3"
    store = HistoryStore(path, busy_timeout_s=0.05)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(BUSY_BACKOFF_S / 2, lambda: other.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    turn = StoredTurn("user", "q")
    store.append("c", [turn], title="q", workspace_folder=None, retention=Retention())
    assert time.monotonic() - started >= BUSY_BACKOFF_S / 2  # it did wait for the lock
    (stored,) = store.recent_turns("c", 5) or []
    assert (stored.role, stored.content) == ("user", "q")
    release.join()
    other.close()
    store.close()


async def test_retention_keeps_the_latest_conversations_and_drops_old_ones(
    start_client: StartClient, fake: FakeModelServer, data_home: Path
):
    client = await start_client({"storage": {"maxConversations": 3, "maxAgeDays": 30}})
    await chat(client, "first", "c0")
    # A conversation last updated 40 days ago, as another process would have left it.
    forty_days_ago = history_now_ms() - 40 * 86_400_000
    with contextlib.closing(sqlite3.connect(history_file(data_home))) as db, db:
        db.execute(
            "INSERT INTO conversations VALUES ('old', 'old one', NULL, ?, ?, 0)",
            (forty_days_ago, forty_days_ago),
        )
    assert "old" in [c["id"] for c in await all_conversations(client)]
    await chat(client, "second", "c1")
    assert [c["id"] for c in await all_conversations(client)] == ["c1", "c0"]
    for n in range(2, 5):
        await chat(client, f"q{n}", f"c{n}")
    assert [c["id"] for c in await all_conversations(client)] == ["c4", "c3", "c2"]
    with contextlib.closing(sqlite3.connect(history_file(data_home))) as db:
        (turns,) = db.execute("SELECT count(*) FROM turns").fetchone()
    assert turns == 6  # the turns of deleted conversations went with them


async def test_list_filters_by_workspace_and_title(
    start_client: StartClient, fake: FakeModelServer, tmp_path: Path
):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    await chat(await start_client(workspace=there.as_uri()), "regex question elsewhere")
    client = await start_client(workspace=here.as_uri())
    await chat(client, "Explain this REGEX")
    await chat(client, "100%_sure?")
    mine = await client.command(Command.LIST_CONVERSATIONS, {"thisWorkspace": True})
    assert [c["title"] for c in mine["conversations"]] == ["100%_sure?", "Explain this REGEX"]
    found = await client.command(Command.LIST_CONVERSATIONS, {"titleContains": "regex"})
    assert [c["title"] for c in found["conversations"]] == [
        "Explain this REGEX",
        "regex question elsewhere",
    ]
    # LIKE's wildcards are plain characters here.
    found = await client.command(Command.LIST_CONVERSATIONS, {"titleContains": "%_"})
    assert [c["title"] for c in found["conversations"]] == ["100%_sure?"]
    for bad in ({"limit": 0}, {"limit": 201}, {"cursor": "nonsense"}):
        with pytest.raises(JsonRpcException) as info:
            await client.command(Command.LIST_CONVERSATIONS, bad)
        assert info.value.data == {"field": next(iter(bad))}


# --- faults ----------------------------------------------------------------------------------


async def test_a_corrupt_history_is_moved_aside_and_a_new_one_started(
    start_client: StartClient, fake: FakeModelServer, data_home: Path
):
    path = history_file(data_home)
    path.parent.mkdir(parents=True)
    garbage = b"this is not a database " * 500
    path.write_bytes(garbage)
    client = await start_client()
    (message,) = await wait_until(lambda: storage_messages(client))
    (aside,) = path.parent.glob("history.sqlite3.corrupt-*")
    assert aside.read_bytes() == garbage  # kept, never deleted
    assert "corrupt" in message and str(path) in message and str(aside) in message
    await chat(client, "still works", "c")
    assert [c["id"] for c in await all_conversations(client)] == ["c"]
    assert len(client.messages) == 1


async def test_a_history_that_cannot_be_opened_leaves_conversations_in_memory(
    start_client: StartClient, fake: FakeModelServer, tmp_path: Path
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    path = blocker / "history.sqlite3"
    client = await start_client({"storage": {"path": str(path)}})
    (message,) = await wait_until(lambda: storage_messages(client))
    assert str(path) in message and "in memory" in message
    await chat(client, "first", "c")
    await chat(client, "second", "c")
    assert len(fake.requests[-1].body["messages"]) == 4  # memory still holds the conversation
    page = await client.command(Command.LIST_CONVERSATIONS, {})
    assert page["conversations"] == []
    assert message == f"ollama-lsp: {page['storage']['problem']}"
    error = await failure(client, Command.GET_CONVERSATION, {"conversationId": "c"})
    assert error.data["kind"] == "storageUnavailable" and str(path) in error.message
    assert len(client.messages) == 1  # said once


async def test_a_missing_folder_is_created(
    start_client: StartClient, fake: FakeModelServer, tmp_path: Path
):
    path = tmp_path / "deep" / "er" / "chats.sqlite3"
    client = await start_client({"storage": {"path": str(path)}})
    await chat(client, "q", "c")
    assert [c["id"] for c in await all_conversations(client)] == ["c"]
    assert path.is_file()


async def test_storage_off_writes_nothing(
    start_client: StartClient, fake: FakeModelServer, data_home: Path
):
    client = await start_client({"storage": {"enabled": False}})
    await chat(client, "q1", "c")
    await chat(client, "q2", "c")
    assert len(fake.requests[-1].body["messages"]) == 4
    page = await client.command(Command.LIST_CONVERSATIONS, {})
    assert page == {
        "conversations": [],
        "nextCursor": None,
        "storage": {"enabled": False, "path": None, "problem": None},
    }
    error = await failure(client, Command.GET_CONVERSATION, {"conversationId": "c"})
    assert error.data["kind"] == "storageUnavailable" and "storage.enabled" in error.message
    assert await client.command(Command.DELETE_CONVERSATION, {"conversationId": "c"}) == {
        "deleted": True
    }
    await client.end()
    assert list(data_home.iterdir()) == []
    assert not client.messages


async def test_an_older_file_is_migrated_and_a_newer_one_left_alone(
    start_client: StartClient, fake: FakeModelServer, data_home: Path, tmp_path: Path
):
    older = history_file(data_home)
    older.parent.mkdir(parents=True)
    with contextlib.closing(sqlite3.connect(older)) as db:  # version 0: before any schema
        db.execute("CREATE TABLE notes (text TEXT)")
    client = await start_client()
    await chat(client, "q", "c")
    await client.end()
    with contextlib.closing(sqlite3.connect(older)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute("SELECT id, message_count FROM conversations").fetchall() == [("c", 2)]

    newer = tmp_path / "newer.sqlite3"
    with contextlib.closing(sqlite3.connect(newer)) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = newer.read_bytes()
    client = await start_client({"storage": {"path": str(newer)}})
    (message,) = await wait_until(lambda: storage_messages(client))
    assert "newer ollama-lsp" in message and str(newer) in message
    await chat(client, "q", "c")
    await client.end()
    assert newer.read_bytes() == before


# --- a read-only file and a full disk: real file systems (tmpfs), so root only -------------


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=True)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounts a file system")


@needs_root
async def test_a_read_only_history_says_so_and_conversations_stay_in_memory(
    start_client: StartClient, fake: FakeModelServer, tmp_path: Path
):
    with tmpfs(tmp_path / "disk", "1m") as disk:
        settings = {"storage": {"path": str(disk / "history.sqlite3")}}
        first = await start_client(settings)
        await chat(first, "stored before", "old")
        await first.end()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        client = await start_client(settings)
        (message,) = await wait_until(lambda: storage_messages(client))
        assert "read-only" in message and str(disk / "history.sqlite3") in message
        await chat(client, "first", "c")
        await chat(client, "second", "c")
        assert len(fake.requests[-1].body["messages"]) == 4
        page = await client.command(Command.LIST_CONVERSATIONS, {})
        assert message == f"ollama-lsp: {page['storage']['problem']}"
        await client.end()
        assert len(client.messages) == 1


@needs_root
async def test_a_full_disk_keeps_the_conversation_in_memory(
    start_client: StartClient, fake: FakeModelServer, tmp_path: Path
):
    with tmpfs(tmp_path / "disk", "160k") as disk:
        path = disk / "history.sqlite3"
        client = await start_client(
            {"storage": {"path": str(path)}, "limits": {"maxPromptChars": 1_000_000}}
        )
        await chat(client, "small", "c")
        big = "x" * 400_000  # more than the disk holds
        await chat(client, big, "c")
        (message,) = await wait_until(lambda: storage_messages(client))
        assert "disk is full" in message and str(path) in message
        await chat(client, "after", "c")
        contents = [m["content"] for m in fake.requests[-1].body["messages"][1:]]
        assert contents == ["small", "Hello, world!", big, "Hello, world!", "after"]
        await client.end()
        assert len(client.messages) == 1
        # What was written before the disk filled up is intact.
        with contextlib.closing(sqlite3.connect(path)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert db.execute("SELECT content FROM turns ORDER BY id").fetchall() == [
                ("small",),
                ("Hello, world!",),
            ]
