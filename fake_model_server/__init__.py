"""A scriptable fake model server over real loopback HTTP/1.1, shared by the tests, the
benchmarks and the VS Code extension's end-to-end tests (not part of the wheel).

It speaks the wire formats of Ollama's native API (`POST /api/chat`, `POST /api/generate` with
`suffix`, `GET /api/tags`) and of the OpenAI-compatible API (`POST /v1/chat/completions`,
`POST /v1/completions`, `GET /v1/models`), and always streams.
`connection.py` is the HTTP, `ollama.py` and `openai.py` the two dialects behind `dialect.py`'s
interface, `script.py` what a chat is answered with, `server.py` the server that ties them.

From Python::

    async with FakeModelServer() as server:
        server.script(Script(chunks=["a", "b"], delay_s=0.05))
        ...  # point a backend at server.base_url
        request = await server.wait_for_request()
        await server.wait_disconnect(request)

Standalone (see `python -m fake_model_server --help`)::

    python -m fake_model_server --port 0 [--script FILE] [--chunks-from-text "some text"]
        [--log-disconnects] [--log-chunks] [--log-requests]

prints `READY http://127.0.0.1:PORT` as its first stdout line and serves until killed.
"""

from fake_model_server.script import Script
from fake_model_server.server import FakeModelServer, RecordedRequest

__all__ = ["FakeModelServer", "RecordedRequest", "Script"]
