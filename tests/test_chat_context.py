"""Context files in chat prompts: read once per request and only as far as the budget can use,
binary files left out. How much the server read is its `rchar` in /proc (Linux)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from fake_model_server import FakeModelServer
from ollama_lsp.server.protocol import Command
from tests.lsp_helpers import OllamaClient, StartClient, lsp_range, utf16_offset

pytestmark = pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="reads /proc")

#: Lines of a 4.9 MB Python file, the size in the report of the defect.
BIG_FILE_LINES = 125_000


def _big_file(folder: Path) -> Path:
    path = folder / "big.py"
    path.write_text(
        "".join(f"value_{n:06} = {n} * 2  # a big file\n" for n in range(BIG_FILE_LINES))
    )
    assert 4_500_000 < path.stat().st_size < 5_000_000
    return path


def _proc(client: OllamaClient, name: str, key: str) -> int:
    """A counter of the server process: `rchar` in io (bytes read), `VmHWM` in status (peak
    resident memory, kB)."""
    assert client._server is not None
    for line in Path(f"/proc/{client._server.pid}/{name}").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {key} in /proc/…/{name}")


async def _user_message(
    client: OllamaClient, fake: FakeModelServer, context: list[dict[str, Any]]
) -> str:
    """Ask with `context`: the user message the model was sent."""
    await client.command(Command.CHAT, {"prompt": "q", "context": context})
    return str(fake.requests[-1].body["messages"][-1]["content"])


async def _warm_up(client: OllamaClient, fake: FakeModelServer, path: Path) -> None:
    """A first chat with a context file, so that what a test measures is not imports."""
    await _user_message(client, fake, [{"uri": path.as_uri(), "range": lsp_range((0, 0), (0, 5))}])


async def test_a_big_file_is_read_only_as_far_as_the_budget_can_use(
    start_client: StartClient, fake: FakeModelServer, tmp_path: Path
):
    big = _big_file(tmp_path)
    client = await start_client(workspace=tmp_path.as_uri())
    await _warm_up(client, fake, big)
    read_before, peak_before = _proc(client, "io", "rchar"), _proc(client, "status", "VmHWM")
    user = await _user_message(client, fake, [{"uri": big.as_uri()}] * 60)
    assert _proc(client, "io", "rchar") - read_before < 1_000_000  # the budget: 24,000 chars
    assert _proc(client, "status", "VmHWM") - peak_before < 100_000  # kB; it was +290 MB
    assert user.count("… [truncated]") == 1
    assert user.count("[big.py left out: the context budget is used up]") == 59


async def test_a_file_is_read_once_per_request(
    start_client: StartClient, fake: FakeModelServer, tmp_path: Path
):
    big = _big_file(tmp_path)
    client = await start_client(workspace=tmp_path.as_uri())
    await _warm_up(client, fake, big)
    lines = random.Random(7).sample(range(BIG_FILE_LINES - 2_000, BIG_FILE_LINES), 60)
    read_before = _proc(client, "io", "rchar")
    user = await _user_message(
        client, fake, [{"uri": big.as_uri(), "range": lsp_range((n, 0), (n, 12))} for n in lines]
    )
    assert _proc(client, "io", "rchar") - read_before < 1.2 * big.stat().st_size
    for n in lines:
        assert f"big.py (python, lines {n + 1}-{n + 1}):\n```python\nvalue_{n:06}\n```" in user


async def test_binary_files_are_left_out(
    start_client: StartClient, fake: FakeModelServer, tmp_path: Path
):
    noise = random.Random(3)
    (tmp_path / "app.bin").write_bytes(b"\x7fELF\x02\x01\x01\x00" + noise.randbytes(30_000))
    high_bytes = bytes(noise.randrange(0x80, 0x100) for _ in range(30_000))  # no NUL
    (tmp_path / "blob.dat").write_bytes(high_bytes)
    (tmp_path / "notes.txt").write_bytes("na\xefve but text\n".encode("latin-1"))
    client = await start_client(workspace=tmp_path.as_uri())
    user = await _user_message(
        client,
        fake,
        [{"uri": (tmp_path / name).as_uri()} for name in ("app.bin", "blob.dat", "notes.txt")],
    )
    assert "[app.bin left out: binary file (NUL bytes)]" in user
    assert "[blob.dat left out: binary file (not UTF-8 text)]" in user
    assert "na\ufffdve but text" in user  # one undecodable byte does not make a file binary
    assert user.count("\ufffd") == 1


async def test_context_from_a_file_read_in_part_is_exact(
    start_client: StartClient, fake: FakeModelServer, tmp_path: Path
):
    """Ranges deep in a file and a prefix cut by the budget: line breaks of every kind,
    characters of 2 to 4 bytes, UTF-16 positions."""
    text = "".join(f"{n} first 🎉 é\r\nsecond ✓\rthird 𝄞 x\n" for n in range(3_000))
    path = tmp_path / "mixed.txt"
    path.write_text(text, encoding="utf-8", newline="")
    deep = 3 * 2_500
    ranges = [
        lsp_range((deep + 1, 2), (deep + 2, 9)),  # from "cond ✓" into "third 𝄞" (𝄞 counts 2)
        lsp_range((3, 0), (3, 12)),
        lsp_range((deep - 600, 5), (deep - 598, 0)),  # ends at a line's start
    ]
    client = await start_client({"chat": {"maxContextChars": 3_000}}, workspace=tmp_path.as_uri())
    context = [{"uri": path.as_uri(), "range": r} for r in ranges] + [{"uri": path.as_uri()}]
    user = await _user_message(client, fake, context)
    left = 3_000
    for r in ranges:
        expected = text[utf16_offset(text, r["start"]) : utf16_offset(text, r["end"])]
        assert expected.rstrip("\n") + "\n```" in user
        left -= len(expected)
    assert "```plaintext\n" + text[:left] + "\n… [truncated]\n```" in user


async def test_many_big_files_are_not_held_at_once(
    start_client: StartClient, fake: FakeModelServer, tmp_path: Path
):
    """Ranges deep in 60 different big files (hard links of one, on disk): each is read up to
    its range, and only a few are held at a time."""
    big = _big_file(tmp_path)
    links = [tmp_path / f"copy{n}.py" for n in range(60)]
    for link in links:
        link.hardlink_to(big)
    client = await start_client(workspace=tmp_path.as_uri())
    await _warm_up(client, fake, big)
    peak_before = _proc(client, "status", "VmHWM")
    last = BIG_FILE_LINES - 1
    user = await _user_message(
        client,
        fake,
        [{"uri": link.as_uri(), "range": lsp_range((last, 0), (last, 12))} for link in links],
    )
    assert _proc(client, "status", "VmHWM") - peak_before < 100_000  # kB
    assert user.count(f"```python\nvalue_{last:06}\n```") == 60
