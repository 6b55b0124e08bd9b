from collections.abc import AsyncIterator

import pytest_asyncio

from fake_model_server import FakeModelServer
from tests.lsp_helpers import start_client

__all__ = ["fake", "start_client"]


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeModelServer]:
    """A fake model server on loopback, speaking Ollama's and OpenAI's wire formats."""
    async with FakeModelServer() as server:
        yield server
