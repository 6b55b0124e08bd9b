"""`ollama-lsp chat`, `ollama-lsp generate`, `ollama-lsp complete` and `ollama-lsp history`:
a session of the terminal client."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from . import history
from .client import TerminalClient, say


def run_chat(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    interactive = args.prompt is None

    async def chat(client: TerminalClient) -> int:
        if args.resume is not None and not await client.resume(args.resume or None):
            return 1
        if args.prompt is not None:
            return await client.ask(args.prompt)
        say("ollama-lsp chat — Enter sends, Ctrl-C stops an answer, Ctrl-D quits.")
        loop = asyncio.get_running_loop()
        while True:
            try:
                line = await loop.run_in_executor(None, _read_line)
            except EOFError:
                return 0
            if line.strip():
                await client.ask(line)

    return asyncio.run(_session(overrides, args.verbose, chat, interactive))


def run_history(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    async def browse(client: TerminalClient) -> int:
        if args.delete is not None:
            return await history.delete_conversation(client, args.delete)
        if args.id is not None:
            return await history.show_conversation(client, args.id)
        return await history.list_conversations(client, args.limit)

    return asyncio.run(_session(overrides, False, browse, interactive=False))


def run_generate(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    async def generate(client: TerminalClient) -> int:
        return await client.generate(args.target, args.instruction, args.apply)

    return asyncio.run(_session(overrides, args.verbose, generate, interactive=False))


def run_complete(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    """`--model` names the completion model here (`completion.model`), not the chat's."""
    model = overrides.pop("model", None)
    settings = {"completion": {"model": model}} if model else None

    async def complete(client: TerminalClient) -> int:
        return await client.complete(args.target)

    return asyncio.run(_session(overrides, args.verbose, complete, False, settings))


async def _session(
    overrides: dict[str, Any],
    verbose: bool,
    work: Callable[[TerminalClient], Awaitable[int]],
    interactive: bool,
    settings: dict[str, Any] | None = None,
) -> int:
    """Start the server, run `work` with Ctrl-C stopping the current request, stop it."""
    server_args = [f"--{key}={value}" for key, value in _flag_names(overrides)]
    client = TerminalClient(server_args, verbose, settings)
    await client.start()
    loop = asyncio.get_running_loop()

    def on_sigint() -> None:
        if not client.cancel() and interactive:
            say("\n(Ctrl-D quits)")

    loop.add_signal_handler(signal.SIGINT, on_sigint)
    try:
        return await work(client)
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        await client.stop()


def _flag_names(overrides: dict[str, Any]) -> list[tuple[str, Any]]:
    names = {"backend": "backend", "baseUrl": "base-url", "model": "model"}
    flags = [(names[key], value) for key, value in overrides.items() if key in names]
    if "embedded" in overrides:
        flags.append(("model-path", overrides["embedded"]["modelPath"]))
    return flags


def _read_line() -> str:
    if sys.stdin.isatty():
        return input("> ")
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\n")
