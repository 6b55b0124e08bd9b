"""`TerminalClient`: an LSP client of the server it starts as a child process over stdio."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient

from ollama_lsp.server.files import uri_to_path
from ollama_lsp.server.languages import language_for
from ollama_lsp.server.positions import span
from ollama_lsp.server.protocol import (
    REQUEST_CANCELLED,
    TOKEN_NOTIFICATION,
    ChatParams,
    Command,
    ConversationParams,
    GenerateCodeParams,
    ListConversationsParams,
    Payload,
)
from ollama_lsp.server.pygls_internals import server_process

from .targets import parse_target

EXIT_CANCELLED = 130
#: Said after an answer whose conversation the server had forgotten (it arrives with the end).
HISTORY_FORGOTTEN = (
    "the earlier turns of this conversation were forgotten (the server keeps only the last "
    "chat.maxConversations conversations used in memory, and storage was off or could not give "
    "it back): the model answered this prompt alone"
)
_DIM, _RESET = ("\x1b[2m", "\x1b[0m") if sys.stderr.isatty() else ("", "")


@attrs.frozen
class OpenFile:
    uri: str
    path: Path
    #: The text as opened (version 1): an edit applies only while the file still has it.
    text: str


class TerminalClient:
    def __init__(
        self, server_args: list[str], verbose: bool, settings: dict[str, Any] | None = None
    ) -> None:
        self._client = LanguageClient("ollama-lsp-terminal", "1")
        self._server_args = server_args
        #: Sent as `initializationOptions` (the server's flags win over them).
        self._settings = settings
        self._verbose = verbose
        self._ids = itertools.count(1)
        self._in_flight: int | None = None
        self._stream_token: str | None = None
        self._conversation_id = str(uuid.uuid4())
        self._opened: OpenFile | None = None
        #: Where text went last, and whether it ended a line: labels start on a line of their own.
        self._last_stream: Any = sys.stdout
        self._at_line_start = True
        # pygls registers plain functions only (it tags them), hence the lambdas.
        self._client.feature(TOKEN_NOTIFICATION)(lambda params: self._on_token(params))
        self._client.feature(lsp.PROGRESS)(lambda params: self._on_progress(params))
        self._client.feature(lsp.WORKSPACE_APPLY_EDIT)(lambda params: self._apply_edit(params))
        self._client.feature(lsp.WINDOW_SHOW_MESSAGE)(
            lambda params: say(f"[ollama-lsp] {params.message}")
        )
        self._client.feature(lsp.WINDOW_LOG_MESSAGE)(lambda params: None)

    async def start(self) -> None:
        # Its own session: Ctrl-C in the terminal must reach us, not kill the server.
        await self._client.start_io(
            sys.executable, "-m", "ollama_lsp.server", *self._server_args, start_new_session=True
        )
        self._stderr_drain = asyncio.ensure_future(self._drain_server_stderr())
        cwd = Path.cwd()
        await self._client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(
                    workspace=lsp.WorkspaceClientCapabilities(apply_edit=True)
                ),
                process_id=os.getpid(),
                initialization_options=self._settings,
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
        await asyncio.wait_for(self._client.stop(), timeout=5)  # type: ignore[no-untyped-call]

    def cancel(self) -> bool:
        """Stop the answer being generated; False when there is none."""
        if self._in_flight is None:
            return False
        self._client.protocol.notify(lsp.CANCEL_REQUEST, lsp.CancelParams(id=self._in_flight))
        return True

    async def request(self, command: Command, argument: Payload) -> Any:
        """Run a command that does not stream; its result as JSON values (JsonRpcException on
        an error)."""
        return await self._client.workspace_execute_command_async(
            lsp.ExecuteCommandParams(command=command, arguments=[argument.to_wire()])
        )

    async def resume(self, conversation_id: str | None) -> bool:
        """Continue a stored conversation: this one, or the last one updated. False (said)
        when there is none."""
        try:
            if conversation_id is not None:
                found = await self.request(
                    Command.GET_CONVERSATION, ConversationParams(conversation_id)
                )
                summary = found["conversation"]
            else:
                page = await self.request(
                    Command.LIST_CONVERSATIONS, ListConversationsParams(limit=1)
                )
                if not page["conversations"]:
                    say(f"error: no stored conversation to continue ({storage_note(page)})")
                    return False
                summary = page["conversations"][0]
        except JsonRpcException as error:
            say(f"error: {error.message}")
            return False
        self._conversation_id = summary["id"]
        say(
            f"[continuing “{summary['title']}”: {summary['messageCount']} messages, "
            f"{summary['id']}]"
        )
        return True

    async def ask(self, prompt: str) -> int:
        """Stream one answer to stdout; returns an exit status (0, 1 error, 130 stopped)."""
        argument = ChatParams(prompt=prompt, conversation_id=self._conversation_id)
        status, result = await self._run_command(Command.CHAT, argument, "chat")
        if status == 0:
            self._write(sys.stdout, "\n")
            if _field(result, "historyForgotten"):
                say(f"[note: {HISTORY_FORGOTTEN}]")
        return status

    def _open_target(self, target: str) -> tuple[OpenFile, lsp.Range] | None:
        """Open the file of `FILE:LINE[:COL][-LINE[:COL]]` in the server; None (said) if it
        cannot be read."""
        try:
            path, range_of = parse_target(target)
            text = path.read_bytes().decode("utf-8")
            range = range_of(text)
        except (ValueError, OSError) as error:
            say(f"error: {error}")
            return None
        opened = OpenFile(path.resolve().as_uri(), path, text)
        self._opened = opened
        self._client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=opened.uri, language_id=language_for(str(path)), version=1, text=text
                )
            )
        )
        return opened, range

    async def complete(self, target: str) -> int:
        """Print the inline completion at the cursor `FILE:LINE[:COL]` (0, or 1 for none)."""
        found = self._open_target(target)
        if found is None:
            return 2
        opened, range = found
        request_id = next(self._ids)
        self._in_flight = request_id
        future = self._client.protocol.send_request(
            lsp.TEXT_DOCUMENT_INLINE_COMPLETION,
            lsp.InlineCompletionParams(
                text_document=lsp.TextDocumentIdentifier(uri=opened.uri),
                position=range.start,
                context=lsp.InlineCompletionContext(
                    trigger_kind=lsp.InlineCompletionTriggerKind.Invoked
                ),
            ),
            msg_id=request_id,
        )
        try:
            result = await asyncio.wrap_future(future)
        except JsonRpcException as error:
            say("[stopped]" if error.code == REQUEST_CANCELLED else f"error: {error.message}")
            return EXIT_CANCELLED if error.code == REQUEST_CANCELLED else 1
        finally:
            self._in_flight = None
        items = result.items if isinstance(result, lsp.InlineCompletionList) else result or []
        if not items:
            say("[no suggestion]")
            return 1
        self._write(sys.stdout, str(items[0].insert_text))
        self._end_line()
        return 0

    async def generate(self, target: str, instruction: str, apply: bool) -> int:
        """Run `ollama.generateCode` on `FILE:LINE[:COL][-LINE[:COL]]` of a file."""
        found = self._open_target(target)
        if found is None:
            return 2
        opened, range = found
        path = opened.path
        argument = GenerateCodeParams(
            uri=opened.uri, range=range, instruction=instruction, apply=apply
        )
        status, result = await self._run_command(Command.GENERATE_CODE, argument, "generate")
        if status:
            return status
        self._end_line()
        for note in _field(result, "notes") or []:
            say(f"[note: {note}]")
        if _field(result, "applied"):
            say(f"[applied to {path}]")
            return 0
        if apply:
            say(f"error: not applied: {_field(result, 'failureReason')}")
            return 1
        say(f"[not applied: add --apply to write it into {path}]")
        return 0

    async def _run_command(self, command: Command, argument: Payload, kind: str) -> tuple[int, Any]:
        """Send one streaming command; returns (exit status, result)."""
        request_id = next(self._ids)
        self._stream_token = f"{kind}-{request_id}"
        self._in_flight = request_id
        future = self._client.protocol.send_request(
            lsp.WORKSPACE_EXECUTE_COMMAND,
            lsp.ExecuteCommandParams(
                command=command,
                arguments=[argument.to_wire()],
                work_done_token=self._stream_token,
            ),
            msg_id=request_id,
        )
        try:
            return 0, await asyncio.wrap_future(future)
        except JsonRpcException as error:
            self._end_line()
            if error.code == REQUEST_CANCELLED:
                say("[stopped]")
                return EXIT_CANCELLED, None
            say(f"error: {error.message}")
            return 1, None
        finally:
            self._in_flight = None

    def _on_token(self, params: Any) -> None:
        if params.token != self._stream_token:
            return
        if params.kind == "thinking" or params.stage in ("plan", "review"):
            self._write(sys.stderr, f"{_DIM}{params.text}{_RESET}", params.text)
        else:
            self._write(sys.stdout, params.text)

    def _on_progress(self, params: Any) -> None:
        """A stage starts (a report without text): show its label on a line of its own."""
        value = params.value
        if params.token != self._stream_token or _field(value, "kind") != "report":
            return
        if _field(value, "stage") is not None and _field(value, "text") is None:
            self._end_line()
            say(f"[{_field(value, 'message')}]")

    def _apply_edit(self, params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
        """Write the server's edit into the file, unless the file changed since it was opened."""
        opened = self._opened
        for change in params.edit.document_changes or []:
            if not isinstance(change, lsp.TextDocumentEdit):
                return _refused(f"unsupported change {type(change).__name__}")
            uri = change.text_document.uri
            if opened is None or uri != opened.uri or uri_to_path(uri) is None:
                return _refused(f"{uri} is not the file being edited")
            text = opened.path.read_bytes().decode("utf-8")
            if text != opened.text:
                return _refused(f"{opened.path} changed on disk meanwhile")
            spans = []
            for edit in change.edits:
                if isinstance(edit, lsp.SnippetTextEdit):
                    return _refused("snippet edits are not supported")
                spans.append((span(text, edit.range), edit.new_text))
            for (start, end), new_text in sorted(spans, key=lambda s: s[0], reverse=True):
                text = text[:start] + new_text + text[end:]
            opened.path.write_bytes(text.encode("utf-8"))
        return lsp.ApplyWorkspaceEditResult(applied=True)

    def _write(self, stream: Any, text: str, shown: str | None = None) -> None:
        stream.write(text)
        stream.flush()
        self._last_stream = stream
        self._at_line_start = (shown if shown is not None else text).endswith("\n")

    def _end_line(self) -> None:
        if not self._at_line_start:
            self._write(self._last_stream, "\n")

    async def _drain_server_stderr(self) -> None:
        """The server logs to stderr: show it with --verbose, else just keep the pipe empty."""
        process = server_process(self._client)
        stream = process.stderr if process else None
        while stream is not None and (line := await stream.readline()):
            if self._verbose:
                sys.stderr.buffer.write(line)
                sys.stderr.flush()


def _field(value: Any, name: str) -> Any:
    """A field of a JSON object as pygls hands it over (a dict or an object)."""
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


def storage_note(page: Any) -> str:
    """Where `ollama.listConversations` found conversations, or why it found none."""
    storage = page["storage"]
    if not storage["enabled"]:
        return "conversations are not stored: setting storage.enabled is off"
    return str(storage["problem"] or f"history: {storage['path']}")


def _refused(reason: str) -> lsp.ApplyWorkspaceEditResult:
    say(f"[edit refused: {reason}]")
    return lsp.ApplyWorkspaceEditResult(applied=False, failure_reason=reason)


def say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
