"""`python -m fake_model_server`: the server in a process of its own (see the package docstring)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
from pathlib import Path

from fake_model_server.script import words
from fake_model_server.server import FakeModelServer, RecordedRequest


async def _serve(args: argparse.Namespace) -> None:
    def log_disconnect(request: RecordedRequest) -> None:
        print(f"DISCONNECT {request.path} {request.chunks_sent}", flush=True)

    def log_chunk(request: RecordedRequest) -> None:
        print(f"CHUNK {request.path} {request.chunks_sent} {time.time():.6f}", flush=True)

    def log_request(request: RecordedRequest) -> None:
        # One line: json.dumps escapes the line breaks inside the messages.
        print(f"REQUEST {request.path} {json.dumps(request.body)}", flush=True)

    server = FakeModelServer(
        port=args.port,
        on_disconnect=log_disconnect if args.log_disconnects else None,
        on_chunk=log_chunk if args.log_chunks else None,
        on_request=log_request if args.log_requests else None,
    )
    if args.script:
        server.scripts.load(args.script)
    if args.chunks_from_text is not None:
        server.scripts.default.chunks = words(args.chunks_from_text)

    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    print(f"READY {server.base_url}", flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m fake_model_server",
        description="Fake Ollama / OpenAI-compatible model server for tests and benchmarks.",
    )
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument(
        "--script",
        type=Path,
        help="JSON file: Script fields (the default answer), or a list of them with 'match' keys",
    )
    parser.add_argument("--chunks-from-text", help="answer with this text, one word per chunk")
    parser.add_argument(
        "--log-disconnects",
        action="store_true",
        help="print 'DISCONNECT <path> <n_chunks_sent>' when a client leaves early",
    )
    parser.add_argument(
        "--log-chunks",
        action="store_true",
        help="print 'CHUNK <path> <n_chunks_sent> <unix time>' after each write of answer text",
    )
    parser.add_argument(
        "--log-requests",
        action="store_true",
        help="print 'REQUEST <path> <JSON body>' as each chat or fill request arrives",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
