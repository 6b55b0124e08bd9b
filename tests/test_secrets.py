"""The API key from the environment (`OLLAMA_LSP_API_KEY`): it reaches the model server, wins
over the `apiKey` setting, and never shows — not on stderr at debug level, not in any message
to the editor (log, popup, trace, token, result, error), even when the model server echoes the
request's Authorization header back in its errors."""

from __future__ import annotations

import json
import os
import secrets
from typing import Any

import pytest

from fake_model_server import FakeModelServer, Script
from ollama_lsp.server.config import API_KEY_VARIABLE
from tests.support import RawPeer, spawn_cli

#: Not `sk-…` nor a lone `Bearer` token: only redaction of the configured key itself hides it.
KEY = "team key " + secrets.token_hex(12)
ECHOES = {
    "refused": Script(status=401, error="invalid key: {authorization}"),
    "broken": Script(status=500, error="upstream failed for {authorization}"),
    "midway": Script(chunks=["one ", "two ", "three"], error_after=2, error="lost {authorization}"),
}


def with_key(**extra: str) -> dict[str, str]:
    return {**os.environ, API_KEY_VARIABLE: KEY, **extra}


async def initialize(peer: RawPeer, **params: Any) -> dict[str, Any]:
    """`initialize` with these params (and `initialized`); its response."""
    request = peer.request("initialize", {"processId": None, "capabilities": {}, **params})
    response = await peer.response(request)
    peer.notify("initialized", {})
    return response


async def chat(peer: RawPeer, prompt: str) -> dict[str, Any]:
    return await peer.response(
        peer.request(
            "workspace/executeCommand",
            {"command": "ollama.chat", "arguments": [{"prompt": prompt}], "workDoneToken": prompt},
        )
    )


@pytest.mark.parametrize("backend", ["ollama", "openai"])
async def test_the_key_from_the_environment_never_shows(fake: FakeModelServer, backend: str):
    for prompt, script in ECHOES.items():
        fake.script(script, match=prompt)
    fake.script(Script(chunks=["All ", "good."]))
    process = await spawn_cli(
        "--log-level", "DEBUG", "--backend", backend, base_url=fake.base_url, env=with_key()
    )
    peer = RawPeer.of(process)
    options = {"streaming": {"flushIntervalMs": 0}}
    answers = [await initialize(peer, trace="verbose", initializationOptions=options)]
    peer.notify("$/setTrace", {"value": "verbose"})
    for prompt in [*ECHOES, "fine"]:
        answers.append(await chat(peer, prompt))
    peer.request("shutdown")
    peer.notify("exit")
    await peer.drain()
    assert process.stderr is not None
    stderr = (await process.stderr.read()).decode()
    await process.wait()

    errors = [answer["error"] for answer in answers[1:4]]
    assert [error["data"]["kind"] for error in errors] == [
        "unauthorized",
        "backendError",
        "streamError",
    ]
    assert answers[4]["result"]["text"] == "All good."
    # The key was sent, and echoed: the server had it to hide.
    assert [r.headers["authorization"] for r in fake.requests] == [f"Bearer {KEY}"] * 4
    assert "DEBUG" in stderr  # the log was as verbose as it gets
    to_the_editor = json.dumps([answers, peer.notifications])
    for seen in (stderr, to_the_editor):
        assert KEY not in seen
        assert KEY.split()[-1] not in seen


async def test_the_environment_wins_over_the_setting(fake: FakeModelServer):
    process = await spawn_cli(base_url=fake.base_url, env=with_key())
    peer = RawPeer.of(process)
    await initialize(peer, initializationOptions={"apiKey": "the setting's key"})
    assert (await chat(peer, "hello"))["result"]["text"] == "Hello, world!"
    assert fake.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    process.kill()
    await process.wait()


async def test_the_terminal_client_passes_the_key_and_never_prints_it(fake: FakeModelServer):
    fake.script(Script(status=401, error="invalid key: {authorization}"))
    process = await spawn_cli("chat", "hello", "--verbose", base_url=fake.base_url, env=with_key())
    stdout, stderr = await process.communicate()
    assert process.returncode != 0
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"
    output = (stdout + stderr).decode()
    assert "refused the API key" in output
    assert API_KEY_VARIABLE in output
    assert KEY not in output and KEY.split()[-1] not in output
