"""`ollama-lsp history` lists, shows and deletes stored conversations; `ollama-lsp chat
--continue [ID]` resumes one — each a new server process on the same history file."""

from __future__ import annotations

import asyncio

from fake_model_server import FakeModelServer, Script
from tests.support import spawn_cli


async def run(fake: FakeModelServer, *args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    process = await spawn_cli(*args, base_url=fake.base_url)
    stdout, stderr = await asyncio.wait_for(process.communicate(stdin), 30)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def listed_ids(stdout: str) -> list[str]:
    return [line.split()[0] for line in stdout.splitlines()]


async def test_history_lists_shows_and_deletes(fake: FakeModelServer):
    status, _, stderr = await run(fake, "history")
    assert status == 0 and "[0 conversations; history: " in stderr
    fake.script(Script(chunks=["A regex ", "answer."]))
    assert (await run(fake, "chat", "explain this regex: ^a+b?$"))[0] == 0
    fake.script(Script(chunks=["Dates."]))
    assert (await run(fake, "chat", "parse ISO dates\nin Python"))[0] == 0

    status, stdout, stderr = await run(fake, "history")
    assert status == 0 and "[2 conversations; history: " in stderr
    lines = stdout.splitlines()
    assert [line.split(maxsplit=4)[3:] for line in lines] == [
        ["2", "parse ISO dates"],
        ["2", "explain this regex: ^a+b?$"],
    ]
    dates, regex = listed_ids(stdout)

    status, stdout, _ = await run(fake, "history", regex)
    assert status == 0
    assert stdout == (
        "# explain this regex: ^a+b?$\n\n> explain this regex: ^a+b?$\n\n"
        "A regex answer.\n— test-model\n"
    )

    status, stdout, _ = await run(fake, "history", "--limit", "1")
    assert listed_ids(stdout) == [dates]
    status, _, stderr = await run(fake, "history", "--delete", dates)
    assert status == 0 and f"[deleted {dates}]" in stderr
    assert listed_ids((await run(fake, "history"))[1]) == [regex]
    status, _, stderr = await run(fake, "history", "--delete", dates)
    assert status == 1 and "no conversation" in stderr


async def test_chat_continue_resumes_the_last_or_a_given_conversation(fake: FakeModelServer):
    status, _, stderr = await run(fake, "chat", "hello?", "--continue")
    assert status == 1 and "no stored conversation to continue" in stderr
    fake.script(Script(chunks=["First."]))
    await run(fake, "chat", "first conversation")
    fake.script(Script(chunks=["Second."]))
    await run(fake, "chat", "second conversation")
    second, first = listed_ids((await run(fake, "history"))[1])

    # The last one, one-shot.
    status, _, stderr = await run(fake, "chat", "and then?", "--continue")
    assert status == 0 and "[continuing “second conversation”: 2 messages" in stderr
    contents = [m["content"] for m in fake.requests[-1].body["messages"][1:]]
    assert contents == ["second conversation", "Second.", "and then?"]

    # A given one, interactively.
    status, _, stderr = await run(fake, "chat", "--continue", first, stdin=b"more?\n")
    assert status == 0 and "[continuing “first conversation”: 2 messages" in stderr
    contents = [m["content"] for m in fake.requests[-1].body["messages"][1:]]
    assert contents == ["first conversation", "First.", "more?"]
    assert listed_ids((await run(fake, "history"))[1]) == [first, second]

    status, _, stderr = await run(fake, "chat", "hi", "--continue", "no-such-id")
    assert status == 1 and "No stored conversation has id 'no-such-id'" in stderr


async def test_history_shows_an_answer_that_failed_as_failed(fake: FakeModelServer):
    fake.script(Script(chunks=["half ", "an ", "answer"], error_after=2))
    assert (await run(fake, "chat", "fail please"))[0] != 0
    (failed,) = listed_ids((await run(fake, "history"))[1])
    status, stdout, _ = await run(fake, "history", failed)
    assert status == 0
    assert stdout.endswith("\nhalf an\n— test-model · failed before the end\n")
