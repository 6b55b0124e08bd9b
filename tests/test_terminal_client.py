"""`ollama-lsp chat`: the terminal client streams answers and Ctrl-C stops the model."""

from __future__ import annotations

import asyncio
import os
import signal

from fake_model_server import FakeModelServer, Script
from tests.support import free_port, spawn_cli

WORDS = [f"word{i} " for i in range(40)]


async def _spawn(fake: FakeModelServer, *args: str, base_url: str | None = None):
    return await spawn_cli("chat", *args, base_url=base_url or fake.base_url)


async def _read_until(stream: asyncio.StreamReader, needle: bytes, seen: bytearray) -> None:
    async with asyncio.timeout(10):
        while needle not in seen:
            chunk = await stream.read(1)
            if not chunk:
                raise AssertionError(f"stream ended before {needle!r}: {bytes(seen)!r}")
            seen += chunk


async def test_one_shot_answer_streams_to_stdout(fake: FakeModelServer):
    fake.script(Script(chunks=WORDS, delay_s=0.03))
    process = await _spawn(fake, "explain this regex: ^a+b?$")
    assert process.stdout is not None
    seen = bytearray()
    await _read_until(process.stdout, b"word3 ", seen)
    # Part of the answer is on screen while the model is still generating.
    assert not fake.requests[0].finished
    seen += await process.stdout.read()
    assert await process.wait() == 0
    assert seen.decode() == "".join(WORDS) + "\n"
    assert fake.requests[0].body["messages"][-1]["content"] == "explain this regex: ^a+b?$"


async def test_ctrl_c_stops_the_model(fake: FakeModelServer):
    fake.script(Script(chunks=WORDS * 50, delay_s=0.02))
    process = await _spawn(fake, "tell me everything")
    assert process.stdout is not None and process.stderr is not None
    await _read_until(process.stdout, b"word5 ", bytearray())
    os.killpg(process.pid, signal.SIGINT)
    await fake.wait_disconnect(fake.requests[0], timeout=3)
    assert await asyncio.wait_for(process.wait(), 10) == 130
    assert b"[stopped]" in await process.stderr.read()


async def test_interactive_session_keeps_history_and_survives_ctrl_c(fake: FakeModelServer):
    fake.script(Script(chunks=WORDS * 50, delay_s=0.02), match="long")
    fake.script(Script(chunks=["Short ", "answer."]))
    process = await _spawn(fake)
    assert process.stdin and process.stdout and process.stderr
    seen = bytearray()
    process.stdin.write(b"first\n")
    await _read_until(process.stdout, b"Short answer.\n", seen)
    process.stdin.write(b"a long one\n")
    await _read_until(process.stdout, b"word2 ", seen)
    os.killpg(process.pid, signal.SIGINT)  # stops this answer only
    await fake.wait_disconnect(fake.requests[1], timeout=3)
    process.stdin.write(b"third\n")
    await _read_until(process.stdout, b"Short answer.\n", bytearray())  # the third answer
    await fake.wait_for_request(3)
    process.stdin.close()  # Ctrl-D
    assert await asyncio.wait_for(process.wait(), 10) == 0
    messages = fake.requests[2].body["messages"]
    assert [m["role"] for m in messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert messages[3]["content"] == "a long one"
    assert "interrupted" in messages[4]["content"]


async def test_unreachable_ollama_says_what_to_do(fake: FakeModelServer):
    port = free_port()
    process = await _spawn(fake, "hi", "--backend", "ollama", base_url=f"http://127.0.0.1:{port}")
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 1
    assert b"Cannot reach Ollama" in stderr and b"ollama serve" in stderr
