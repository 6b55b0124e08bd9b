"""`ollama-lsp generate`: stages and streamed code in the terminal, `--apply` edits the file;
`ollama-lsp complete`: the inline suggestion at a cursor."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from fake_model_server import FakeModelServer, Script
from tests.support import script_stages, spawn_cli

SOURCE = "def parse(s):\n    return s\n\n\ndef other():\n    pass\n"


async def _spawn(fake: FakeModelServer, cwd: Path, *args: str):
    return await spawn_cli("generate", *args, base_url=fake.base_url, cwd=cwd)


async def test_generate_prints_stages_and_code_and_applies_the_edit(
    fake: FakeModelServer, tmp_path: Path
):
    script_stages(fake, code=Script(chunks=["```python\nif not s:\n", "    raise ValueError\n```"]))
    source = tmp_path / "dates.py"
    source.write_text(SOURCE)
    process = await _spawn(fake, tmp_path, "dates.py:2", "validate the input", "--apply")
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode() == "if not s:\n    raise ValueError\n"
    err = stderr.decode()
    stages = ["[Planning…]", "[Writing code…]", "[Reviewing…]", "[applied to dates.py]"]
    positions = [err.index(stage) for stage in stages]
    assert positions == sorted(positions)
    assert "- check the input" in err  # the plan, shown as it streams
    assert source.read_text() == SOURCE.replace(
        "    return s\n", "    if not s:\n        raise ValueError\n    return s\n"
    )


async def test_a_line_range_selects_whole_lines_and_without_apply_the_file_stays(
    fake: FakeModelServer, tmp_path: Path
):
    script_stages(fake, code=Script(chunks=["```\ndef other():\n    return 1\n```"]))
    (tmp_path / "m.py").write_text(SOURCE)
    process = await _spawn(fake, tmp_path, "m.py:5-6", "return 1")
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert "[not applied: add --apply" in stderr.decode()
    assert (tmp_path / "m.py").read_text() == SOURCE
    assert "def other():\n    pass" in fake.requests[0].last_user_message  # the selection


async def test_ctrl_c_stops_generation_and_leaves_the_file(fake: FakeModelServer, tmp_path: Path):
    slow = Script(chunks=["```python\n", *[f"x{i} = {i}\n" for i in range(500)]], delay_s=0.02)
    script_stages(fake, code=slow)
    (tmp_path / "m.py").write_text(SOURCE)
    process = await _spawn(fake, tmp_path, "m.py:3", "add constants", "--apply")
    assert process.stdout is not None and process.stderr is not None
    seen = b""
    async with asyncio.timeout(20):
        while b"x3 = 3" not in seen:
            seen += await process.stdout.read(1)
    os.killpg(process.pid, signal.SIGINT)
    await fake.wait_disconnect(fake.requests[-1], timeout=3)
    assert await asyncio.wait_for(process.wait(), 10) == 130
    assert b"[stopped]" in await process.stderr.read()
    assert (tmp_path / "m.py").read_text() == SOURCE


async def test_a_bad_target_says_what_is_expected(fake: FakeModelServer, tmp_path: Path):
    process = await _spawn(fake, tmp_path, "m.py", "anything")
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert b"FILE:LINE[:COL][-LINE[:COL]]" in stderr
    assert fake.requests == []


async def test_a_stage_cut_short_is_noted(fake: FakeModelServer, tmp_path: Path):
    script_stages(fake, plan=Script(chunks=["- check the input"], done_reason="length"))
    (tmp_path / "m.py").write_text(SOURCE)
    process = await _spawn(fake, tmp_path, "m.py:2", "validate the input")
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert "[note: The plan reached its budget of 256 tokens and was cut there.]" in stderr.decode()


async def test_complete_prints_the_suggestion_at_a_cursor(fake: FakeModelServer, tmp_path: Path):
    """`ollama-lsp complete FILE:LINE:COL` (`--model` is the completion model here)."""
    fake.script(Script(chunks=["s.strip()", "\n", "    more"]))
    (tmp_path / "m.py").write_text(SOURCE)
    process = await spawn_cli("complete", "m.py:2:12", base_url=fake.base_url, cwd=tmp_path)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode() == "s.strip()\n"
    (request,) = fake.requests
    assert request.fill and request.body["model"] == "test-model"
    assert request.body["prompt"] == "def parse(s):\n    return "
    assert request.body["suffix"] == SOURCE.removeprefix("def parse(s):\n    return ")
