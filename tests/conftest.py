from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from fake_model_server import FakeModelServer
from tests.lsp_helpers import start_client

__all__ = ["fake", "start_client"]


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeModelServer]:
    """A fake model server on loopback, speaking Ollama's and OpenAI's wire formats."""
    async with FakeModelServer() as server:
        yield server


@pytest.fixture(autouse=True)
def data_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's servers keep their conversation history in a folder of the test's own
    (`XDG_DATA_HOME`), never in the user's."""
    folder = tmp_path_factory.mktemp("data-home")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    return folder
