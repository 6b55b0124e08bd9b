"""A team's set-up for real: ollama-lsp → LiteLLM's proxy (a gateway with one key per user) →
the model servers (the fake one, and llama.cpp's on the real model). Streaming works through
it, a wrong key is named as such, and a Stop reaches the model server through the gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from pygls.exceptions import JsonRpcException

from fake_model_server import FakeModelServer, Script
from ollama_lsp.server.protocol import REQUEST_CANCELLED, Command
from tests.gateway import USER_KEYS, Gateway, running_gateway, upstream
from tests.lsp_helpers import OllamaClient, StartClient, wait_until
from tests.real_model import (
    LONG,
    LONG_PROMPT,
    LlamaServer,
    running_llama_server,
    short_answer_streams,
)
from tests.support import free_port

pytestmark = pytest.mark.gateway

#: The upstream servers' ports, fixed before the gateway starts: its model list names them.
FAKE_PORT, LLAMA_PORT = free_port(), free_port()


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    models = [
        upstream("team-model", "test-model", f"http://127.0.0.1:{FAKE_PORT}/v1"),
        upstream("team-smollm2", "smollm2", f"http://127.0.0.1:{LLAMA_PORT}/v1"),
    ]
    with running_gateway(free_port(), models, tmp_path_factory.mktemp("gateway")) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def llama_behind_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with running_llama_server(LLAMA_PORT, log) as server:
        yield server


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeModelServer]:
    """The fake model server on the port the gateway forwards `team-model` to."""
    async with FakeModelServer(port=FAKE_PORT) as server:
        yield server


async def through(
    start_client: StartClient, gateway: Gateway, model: str, key: str = USER_KEYS["ada"]
) -> OllamaClient:
    """A server whose settings are what a team's editor has: the gateway and one's own key."""
    settings = {"backend": "openai", "baseUrl": gateway.base_url, "model": model, "apiKey": key}
    return await start_client(settings)


async def test_an_answer_streams_through_the_gateway(
    start_client: StartClient, fake: FakeModelServer, gateway: Gateway
):
    words = [f"word{i} " for i in range(30)]
    fake.script(Script(chunks=words, delay_s=0.02))
    client = await through(start_client, gateway, "team-model")
    request_id, outcome = client.send_command(Command.CHAT, {"prompt": "hello"}, token="t")
    # Part of the answer arrives while the model server is still generating.
    await client.wire.wait_for(lambda: len(client.wire.batches("t")) >= 3, timeout=30)
    assert not fake.requests[0].finished
    result = await asyncio.wait_for(outcome, 30)
    assert client.wire.text("t") == result["text"] == "".join(words)
    client.wire.assert_nothing_after_response(request_id, "t")
    # The gateway's own key upstream, never the user's.
    assert fake.requests[0].headers["authorization"] == "Bearer none"
    assert fake.requests[0].body["model"] == "test-model"


async def test_a_wrong_key_is_refused_by_the_gateway(
    start_client: StartClient, fake: FakeModelServer, gateway: Gateway
):
    wrong = "team-key-eve-987654321"
    client = await through(start_client, gateway, "team-model", key=wrong)
    with pytest.raises(JsonRpcException) as excinfo:
        await asyncio.wait_for(client.command(Command.CHAT, {"prompt": "hello"}), 30)
    error = excinfo.value
    assert error.data["kind"] == "unauthorized"
    assert f"or the gateway at {gateway.base_url} refused the API key" in error.message
    assert "refused the API key (HTTP 401" in error.message
    assert "`ollama.apiKey`" in error.message
    assert wrong not in error.message and "987654321" not in error.message
    assert fake.requests == []  # the gateway stopped it


async def test_a_stop_reaches_the_model_server_through_the_gateway(
    start_client: StartClient, fake: FakeModelServer, gateway: Gateway
):
    fake.script(Script(chunks=[f"w{i} " for i in range(2000)], delay_s=0.01))
    client = await through(start_client, gateway, "team-model")
    request_id, outcome = client.send_command(Command.CHAT, {"prompt": "go on"}, token="t")
    await client.wire.wait_for(lambda: len(client.wire.batches("t")) >= 3, timeout=30)
    client.cancel(request_id)
    with pytest.raises(JsonRpcException) as excinfo:
        await asyncio.wait_for(outcome, 10)
    assert excinfo.value.code == REQUEST_CANCELLED
    # The gateway closed its own connection to the model server: the model stops.
    await fake.wait_disconnect(fake.requests[0], timeout=10)
    assert fake.requests[0].chunks_sent < 2000


@pytest.mark.real_model
async def test_the_real_model_streams_through_the_gateway(
    start_client: StartClient, gateway: Gateway, llama_behind_gateway: LlamaServer
):
    await short_answer_streams(await through(start_client, gateway, "team-smollm2"))


@pytest.mark.real_model
async def test_a_stop_ends_the_real_models_request_through_the_gateway(
    start_client: StartClient, gateway: Gateway, llama_behind_gateway: LlamaServer
):
    client = await through(start_client, gateway, "team-smollm2")
    disconnects = llama_behind_gateway.log_text().count("Disconnected from client")
    request_id, outcome = client.send_command(
        Command.CHAT, {"prompt": LONG_PROMPT, "options": LONG}, token="t"
    )
    await client.wire.wait_for(lambda: len(client.wire.batches("t")) >= 3, timeout=120)
    client.cancel(request_id)
    with pytest.raises(JsonRpcException) as excinfo:
        await asyncio.wait_for(outcome, 10)
    assert excinfo.value.code == REQUEST_CANCELLED
    # llama.cpp's server saw its client (the gateway) leave, and ended the generation.
    await wait_until(
        lambda: llama_behind_gateway.log_text().count("Disconnected from client") > disconnects,
        timeout=10,
    )
    assert len(client.wire.batches("t")) < LONG["numPredict"]
