"""`ollama-lsp chat`: a real LSP client of the server, started as a child process over stdio.

It is the main-job demo and our own test client: answers stream to stdout as they are
generated, Ctrl-C sends `$/cancelRequest` (the model stops), Ctrl-D ends an interactive chat.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient

from .protocol import REQUEST_CANCELLED, TOKEN_NOTIFICATION, Command

EXIT_CANCELLED = 130
_DIM, _RESET = ("\x1b[2m", "\x1b[0m") if sys.stderr.isatty() else ("", "")


class TerminalChat:
    def __init__(self, server_args: list[str], verbose: bool) -> None:
        self._client = LanguageClient("ollama-lsp-chat", "1")
        self._server_args = server_args
        self._verbose = verbose
        self._ids = itertools.count(1)
        self._in_flight: int | None = None
        self._stream_token: str | None = None
        self._conversation_id = str(uuid.uuid4())
        # pygls registers plain functions only (it tags them), hence the lambdas.
        self._client.feature(TOKEN_NOTIFICATION)(lambda params: self._on_token(params))
        self._client.feature(lsp.WINDOW_SHOW_MESSAGE)(
            lambda params: _say(f"[ollama-lsp] {params.message}")
        )
        self._client.feature(lsp.WINDOW_LOG_MESSAGE)(lambda params: None)
        self._client.feature(lsp.PROGRESS)(lambda params: None)

    async def start(self) -> None:
        # Its own session: Ctrl-C in the terminal must reach us, not kill the server.
        await self._client.start_io(
            sys.executable, "-m", "server", *self._server_args, start_new_session=True
        )
        self._stderr_drain = asyncio.ensure_future(self._drain_server_stderr())
        cwd = Path.cwd()
        await self._client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(),
                process_id=os.getpid(),
                workspace_folders=[lsp.WorkspaceFolder(uri=cwd.as_uri(), name=cwd.name)],
            )
        )
        self._client.initialized(lsp.InitializedParams())

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self._client.shutdown_async(None), timeout=5)
            self._client.exit(None)
        except (TimeoutError, RuntimeError, JsonRpcException):
            pass
        await asyncio.wait_for(self._client.stop(), timeout=5)

    def cancel(self) -> bool:
        """Stop the answer being generated; False when there is none."""
        if self._in_flight is None:
            return False
        self._client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id=self._in_flight))
        return True

    async def ask(self, prompt: str) -> int:
        """Stream one answer to stdout; returns an exit status (0, 1 error, 130 stopped)."""
        request_id = next(self._ids)
        self._stream_token = f"chat-{request_id}"
        self._in_flight = request_id
        future = self._client.protocol.send_request(
            lsp.WORKSPACE_EXECUTE_COMMAND,
            lsp.ExecuteCommandParams(
                command=Command.CHAT,
                arguments=[{"prompt": prompt, "conversationId": self._conversation_id}],
                work_done_token=self._stream_token,
            ),
            msg_id=request_id,
        )
        try:
            await asyncio.wrap_future(future)
        except JsonRpcException as error:
            if error.code == REQUEST_CANCELLED:
                _say("\n[stopped]")
                return EXIT_CANCELLED
            _say(f"\nerror: {error.message}")
            return 1
        finally:
            self._in_flight = None
        sys.stdout.write("\n")
        sys.stdout.flush()
        return 0

    def _on_token(self, params: Any) -> None:
        if params.token != self._stream_token:
            return
        if params.kind == "thinking":
            sys.stderr.write(f"{_DIM}{params.text}{_RESET}")
            sys.stderr.flush()
        else:
            sys.stdout.write(params.text)
            sys.stdout.flush()

    async def _drain_server_stderr(self) -> None:
        """The server logs to stderr: show it with --verbose, else just keep the pipe empty."""
        stream = self._client._server.stderr if self._client._server else None
        while stream is not None and (line := await stream.readline()):
            if self._verbose:
                sys.stderr.buffer.write(line)
                sys.stderr.flush()


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def run_chat(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    server_args = [f"--{key}={value}" for key, value in _flag_names(overrides)]
    return asyncio.run(_chat(args.prompt, server_args, args.verbose))


def _flag_names(overrides: dict[str, Any]) -> list[tuple[str, Any]]:
    names = {"backend": "backend", "baseUrl": "base-url", "model": "model"}
    flags = [(names[key], value) for key, value in overrides.items() if key in names]
    if "embedded" in overrides:
        flags.append(("model-path", overrides["embedded"]["modelPath"]))
    return flags


async def _chat(prompt: str | None, server_args: list[str], verbose: bool) -> int:
    chat = TerminalChat(server_args, verbose)
    await chat.start()
    loop = asyncio.get_running_loop()
    interactive = prompt is None

    def on_sigint() -> None:
        if not chat.cancel() and interactive:
            _say("\n(Ctrl-D quits)")

    loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        if prompt is not None:
            return await chat.ask(prompt)
        _say("ollama-lsp chat — Enter sends, Ctrl-C stops an answer, Ctrl-D quits.")
        while True:
            try:
                line = await loop.run_in_executor(None, _read_line)
            except EOFError:
                return 0
            if line.strip():
                await chat.ask(line)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        await chat.stop()


def _read_line() -> str:
    if sys.stdin.isatty():
        return input("> ")
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")
