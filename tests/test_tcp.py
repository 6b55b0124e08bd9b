"""`ollama-lsp --tcp PORT` serves the same protocol on loopback, one client at a time, each with
a fresh session."""

from __future__ import annotations

import asyncio
import contextlib
import json
from asyncio.subprocess import DEVNULL
from typing import Any

from lsprotocol import types as lsp

from fake_model_server import FakeModelServer, Script
from tests.lsp_helpers import OllamaClient
from tests.support import RawPeer, free_port, spawn_cli


async def test_tcp_mode_streams_a_chat(fake: FakeModelServer):
    fake.script(Script(chunks=["over ", "tcp"]))
    port = free_port()
    server = await spawn_cli(
        "--tcp", str(port), base_url=fake.base_url, stderr=asyncio.subprocess.DEVNULL
    )
    client = OllamaClient()
    try:
        async with asyncio.timeout(10):
            while True:
                try:
                    await client.start_tcp("127.0.0.1", port)
                    break
                except OSError:
                    await asyncio.sleep(0.05)
        await client.initialize_session(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
        result = await client.command("ollama.chat", {"prompt": "q"}, token="t")
        assert result["text"] == "over tcp" == client.wire.text("t")
    finally:
        server.kill()
        await server.wait()
        await client.stop()


async def connect(port: int) -> RawPeer:
    """A raw client on the server's port (retried while the server starts)."""
    async with asyncio.timeout(10):
        while True:
            try:
                return RawPeer(*await asyncio.open_connection("127.0.0.1", port))
            except OSError:
                await asyncio.sleep(0.05)


async def connect_as_the_client(port: int, options: dict[str, Any] | None = None) -> RawPeer:
    """Connect and initialize (with `options` as initializationOptions), retrying while the
    previous client's session is still ending."""
    async with asyncio.timeout(10):
        while True:
            peer = await connect(port)
            initialize = peer.request(
                "initialize", {"capabilities": {}, "initializationOptions": options}
            )
            with contextlib.suppress(AssertionError):  # refused: closed without an answer
                await peer.response(initialize)
                peer.notify("initialized", {})
                return peer
            await asyncio.sleep(0.05)


def chat(prompt: str, conversation: str | None = None) -> dict[str, Any]:
    argument = {"prompt": prompt, "conversationId": conversation}
    return {"command": "ollama.chat", "arguments": [argument], "workDoneToken": prompt}


async def ask(peer: RawPeer, params: dict[str, Any]) -> dict[str, Any]:
    return await peer.response(peer.request("workspace/executeCommand", params))


async def test_a_second_client_is_refused_and_the_first_is_unaffected(fake: FakeModelServer):
    fake.script(Script(chunks=[f"w{i} " for i in range(20)], delay_s=0.02))
    port = free_port()
    server = await spawn_cli("--tcp", str(port), base_url=fake.base_url, stderr=DEVNULL)
    try:
        first = await connect_as_the_client(port)
        chatting = first.request("workspace/executeCommand", chat("q"))
        await fake.wait_for_request()

        second = await connect(port)
        second.request("initialize", {"capabilities": {}}, request_id="second")
        refusal = await second.read_message()
        assert refusal is not None and refusal["method"] == "window/showMessage"
        assert "another client" in refusal["params"]["message"]
        assert await second.read_message() is None  # then closed
        bare = await connect(port)  # connect and close at once
        bare.writer.close()

        answer = await first.response(chatting)
        assert answer["result"]["text"] == "".join(f"w{i} " for i in range(20))
        # The first session never saw the second's traffic (a line in its log says it was
        # refused), and goes on.
        assert [n for n in first.notifications if n["method"] == "window/showMessage"] == []
        shutdown = first.request("shutdown")
        assert await first.response() == {"jsonrpc": "2.0", "id": shutdown, "result": None}
        assert server.returncode is None
    finally:
        server.kill()
        await server.wait()


async def test_the_next_client_gets_a_fresh_session(fake: FakeModelServer):
    fake.script(Script(chunks=["answer"]))
    fake.script(Script(chunks=["x "] * 2000, delay_s=0.01), match="long")
    port = free_port()
    server = await spawn_cli("--tcp", str(port), base_url=fake.base_url, stderr=DEVNULL)
    try:
        (await connect(port)).writer.close()  # a bare connect-and-close ends nothing
        # Memory only: a stored conversation would continue from disk, as after a restart.
        memory_only = {"storage": {"enabled": False}}
        first = await connect_as_the_client(port, memory_only)
        await ask(first, chat("remember me", "c"))
        first.request("workspace/executeCommand", chat("long", "c"))
        running = await fake.wait_for_request(2)
        first.writer.close()  # the client goes away mid-answer
        await fake.wait_disconnect(running)  # its running request was cancelled

        second = await connect_as_the_client(port, memory_only)
        answer = await ask(second, chat("who am I?", "c"))
        assert answer["result"]["text"] == "answer"
        sent = json.dumps(fake.requests[-1].body["messages"])
        assert "who am I?" in sent and "remember me" not in sent  # no conversation carried over
        assert server.returncode is None
        second.notify("exit")  # ends the session, not the server
        assert await second.read_message() is None
        third = await connect_as_the_client(port)
        assert (await ask(third, chat("hi")))["result"]["text"] == "answer"
    finally:
        server.kill()
        await server.wait()
