"""`ollama-lsp --tcp PORT` serves the same protocol on loopback (for debugging)."""

from __future__ import annotations

import asyncio

from lsprotocol import types as lsp

from fake_model_server import FakeModelServer, Script
from tests.lsp_helpers import OllamaClient
from tests.support import free_port, spawn_cli


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
