"""Every message of ollama-lsp beyond standard LSP, in one module: read it to learn the product.

Commands travel as `workspace/executeCommand` with one object argument and answer one object;
while a command generates, its text streams as `ollama/token` notifications and `$/progress`
reports; a failure answers one of the errors at the end. Each of these payloads is a class
below, and the server sends exactly these classes (`Payload.to_wire`). Field names on the wire
are the camelCase of the Python names; a field declared `optional(...)` may be absent (the
default applies), every other field is always there, `None` as `null`.

`docs/protocol.md`'s tables and `client-vscode/src/protocol.ts` are generated from this module,
its docstrings and its `#:` comments: after a change, run
`.venv/bin/python scripts/generate_protocol.py` (a test fails while they are stale).
"""

from __future__ import annotations

import enum
from typing import Any, Literal, TypeVar

import attrs
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcRequestCancelled

from ollama_lsp.agents.backends.base import DeltaKind, ErrorKind
from ollama_lsp.agents.backends.embedded import ENGINE_MARKER
from ollama_lsp.agents.codegen import Stage as CodegenStage

from .structure import ParamsError, structure
from .wire import Payload, optional

# --- Commands --------------------------------------------------------------------------------


class Command(enum.StrEnum):
    """Commands the client runs with `workspace/executeCommand` and exactly one object argument."""

    #: Answer a prompt within a conversation; the answer streams.
    CHAT = "ollama.chat"
    #: The models the backend offers, and the default one.
    LIST_MODELS = "ollama.listModels"
    #: Release a conversation from memory (an unknown id is a no-op); its stored copy stays.
    RESET_CONVERSATION = "ollama.resetConversation"
    #: Write code for a selection or at the cursor: plan → code → review (→ revise → review),
    #: every stage streaming; ends with an edit of the document.
    GENERATE_CODE = "ollama.generateCode"
    #: The stored conversations, most recently updated first, a page at a time.
    LIST_CONVERSATIONS = "ollama.listConversations"
    #: A stored conversation with all its turns.
    GET_CONVERSATION = "ollama.getConversation"
    #: Delete a conversation from storage and memory.
    DELETE_CONVERSATION = "ollama.deleteConversation"


# --- Shared pieces ---------------------------------------------------------------------------


@attrs.define
class ContextRef(Payload):
    """A snippet of an open document, or of a file under a workspace folder."""

    uri: str
    #: The whole document when absent.
    range: lsp.Range | None = optional()


# --- ollama.chat -----------------------------------------------------------------------------


@attrs.define
class ChatParams(Payload):
    #: Not empty; at most `limits.maxPromptChars` characters.
    prompt: str
    #: Absent: a new conversation. A stored one continues, also after a restart (its last
    #: `chat.maxHistoryMessages` messages are loaded). Unknown: a new one under that id.
    conversation_id: str | None = optional()
    #: Default: the `model` setting.
    model: str | None = optional()
    #: Snippets put into the prompt with their file name and language, within
    #: `chat.maxContextChars`; a binary file is left out (the prompt says so).
    context: list[ContextRef] = optional(factory=list)
    #: Generation options in camelCase (`temperature`, `numCtx`, `topP`, `topK`, `numPredict`,
    #: `seed`, `stop`, ...); each backend maps them to its own names.
    options: dict[str, Any] = optional(factory=dict)


@attrs.define
class Usage(Payload):
    #: null when the backend does not count.
    prompt_tokens: int | None
    completion_tokens: int | None


@attrs.define
class Timings(Payload):
    #: From the request's arrival to the first streamed delta (null when none came).
    first_token_ms: float | None
    total_ms: float


@attrs.define
class ChatResult(Payload):
    #: The conversation's id (the one given, or a new one): send it with the next prompt.
    conversation_id: str
    #: The whole answer.
    text: str
    #: Reasoning of thinking models, never mixed into `text` ("" when the model sent none).
    thinking: str
    #: The model that answered (for the embedded backend, its file's name).
    model: str
    #: `length`: the answer was cut at the model's token limit.
    done_reason: Literal["stop", "length"]
    usage: Usage
    #: The conversation had been forgotten (memory holds the last `chat.maxConversations`, and
    #: storage was off or failed): the model did not see its earlier turns, and it starts over
    #: from this prompt.
    history_forgotten: bool
    timings: Timings


# --- ollama.listModels (argument `{}`) -------------------------------------------------------


@attrs.define
class ModelEntry(Payload):
    name: str
    #: Size on disk, when the backend knows.
    size_bytes: int | None
    #: When the model was installed or changed (ISO 8601), when the backend knows.
    modified_at: str | None


@attrs.define
class ListModelsResult(Payload):
    models: list[ModelEntry]
    #: The model used when a command names none (the `model` setting).
    default: str
    #: Who answers, as a user reads it: "Ollama", "the OpenAI-compatible server", "the embedded
    #: model" (with `backend: "auto"`, the one it chose).
    backend: str
    #: The model that answers whatever model a command names (the embedded backend: its file);
    #: absent when the named model answers.
    fixed_model: str | None = optional()


# --- ollama.resetConversation (result: null) -------------------------------------------------


@attrs.define
class ResetConversationParams(Payload):
    conversation_id: str


# --- Conversation history: ollama.listConversations, getConversation, deleteConversation ----


@attrs.define
class StorageStatus(Payload):
    """Where conversations are stored, and whether that works."""

    #: false: setting `storage.enabled` is off; conversations live in memory only.
    enabled: bool
    #: The SQLite file (null when storage is off).
    path: str | None
    #: What went wrong and where the file is, once storage failed: conversations are then
    #: kept in memory only, until the server restarts.
    problem: str | None


@attrs.define
class ListConversationsParams(Payload):
    #: Only conversations held in this server's workspace folders.
    this_workspace: bool = optional(False)
    #: Only titles containing this text (ASCII letters in any case).
    title_contains: str | None = optional()
    #: The most conversations in the page (1 to `MAX_PAGE`).
    limit: int = optional(50)
    #: The previous page's `nextCursor`.
    cursor: str | None = optional()


#: The most conversations `ollama.listConversations` answers at once.
MAX_PAGE = 200


@attrs.define
class ConversationSummary(Payload):
    id: str
    #: The first line of the first prompt (at most 80 characters).
    title: str
    #: The first workspace folder of the window where it was held (null: none).
    workspace_folder: str | None
    #: ISO 8601 in UTC (`2026-12-01T06:30:00.123Z`).
    created_at: str
    updated_at: str
    #: Prompts and answers stored (an interrupted answer counts).
    message_count: int


@attrs.define
class ListConversationsResult(Payload):
    #: Most recently updated first.
    conversations: list[ConversationSummary]
    #: Send it as `cursor` for the next page; null on the last page.
    next_cursor: str | None
    storage: StorageStatus


@attrs.define
class ConversationParams(Payload):
    """Argument of `ollama.getConversation` and `ollama.deleteConversation`."""

    conversation_id: str


@attrs.define
class ConversationTurn(Payload):
    role: Literal["user", "assistant"]
    #: What the user typed (without the editor context sent with it), or the answer as far as
    #: it came.
    text: str
    #: The answer was stopped or failed before it was complete; continuing the conversation
    #: tells the model so.
    interrupted: bool
    #: The interruption was the model server's error, not a stop (false for answers stored by
    #: versions that did not tell them apart).
    failed: bool
    #: The model that answered (null for the user's turns).
    model: str | None
    #: ISO 8601 in UTC.
    created_at: str


@attrs.define
class GetConversationResult(Payload):
    conversation: ConversationSummary
    #: Oldest first, every turn stored (more than a prompt sends: see `chat.maxHistoryMessages`).
    turns: list[ConversationTurn]


@attrs.define
class DeleteConversationResult(Payload):
    #: false: the conversation was neither stored nor in memory.
    deleted: bool


# --- ollama.generateCode ---------------------------------------------------------------------

#: The most revisions one request may ask for (each one is two more model calls).
MAX_REVISIONS = 5


@attrs.define
class GenerateCodeParams(Payload):
    #: An open document, or a file under a workspace folder.
    uri: str
    #: The selection; an empty range is the cursor. In the negotiated position encoding.
    range: lsp.Range
    #: What to do ("add input validation"): not empty, at most `limits.maxPromptChars`.
    instruction: str
    #: Default: the `model` setting.
    model: str | None = optional()
    #: Send `workspace/applyEdit` at the end; false: only return the edit.
    apply: bool = optional(True)
    #: False skips the review and the revisions.
    review: bool = optional(True)
    #: How often a review's problems may send the code back for revision (0 to `MAX_REVISIONS`).
    max_revisions: int = optional(1)
    #: Generation options for every stage, as for `ollama.chat`.
    options: dict[str, Any] = optional(factory=dict)


@attrs.define
class GenerateCodeResult(Payload):
    #: The code of the final revision: exactly its code deltas joined.
    code: str
    plan: str
    #: The last review's text (null when `review` was false).
    review: str | None
    #: How many revisions were done.
    revisions: int
    #: One TextDocumentEdit for the document's synced version when the request arrived (version
    #: null for a file that is not open): `code` fitted into the document.
    edit: lsp.WorkspaceEdit
    #: Whether the client applied the edit the server sent (false with `apply: false`).
    applied: bool
    #: Stages cut short, one sentence each: a token budget reached (the code may be incomplete)
    #: or the model repeating itself (the repeats were dropped). Empty when every stage ended.
    notes: list[str]
    #: Why the edit was not applied: the document changed meanwhile, or the client's reason.
    failure_reason: str | None = optional()


@attrs.frozen
class CommandSignature:
    """What a command takes and answers (None: `{}` as argument, `null` as result)."""

    params: type[Payload] | None
    result: type[Payload] | None
    #: Streams `ollama/token` and `$/progress` while it runs.
    streams: bool = False


#: Every command's argument and result classes.
SIGNATURES: dict[Command, CommandSignature] = {
    Command.CHAT: CommandSignature(ChatParams, ChatResult, streams=True),
    Command.LIST_MODELS: CommandSignature(None, ListModelsResult),
    Command.RESET_CONVERSATION: CommandSignature(ResetConversationParams, None),
    Command.GENERATE_CODE: CommandSignature(GenerateCodeParams, GenerateCodeResult, streams=True),
    Command.LIST_CONVERSATIONS: CommandSignature(ListConversationsParams, ListConversationsResult),
    Command.GET_CONVERSATION: CommandSignature(ConversationParams, GetConversationResult),
    Command.DELETE_CONVERSATION: CommandSignature(ConversationParams, DeleteConversationResult),
}

# --- Streaming -------------------------------------------------------------------------------

#: What a stream's text belongs to: `chat`, or a stage of `ollama.generateCode`.
Stage = Literal["chat"] | CodegenStage

#: What a streamed text is: the answer, or the reasoning of a thinking model.
TextKind = DeltaKind

#: Server → client notification carrying one batch of streamed text.
TOKEN_NOTIFICATION = "ollama/token"


@attrs.define
class TokenBatch(Payload):
    """Params of `ollama/token`: one flushed batch of one stage and one kind."""

    #: The request's progress token, or its request id when it has none: routes the text to
    #: its view.
    token: int | str
    #: 0, 1, 2, ... per request, without gaps, across stages and kinds.
    seq: int
    stage: Stage
    kind: TextKind
    text: str
    #: `ollama.generateCode` only: 0 for the first writing, n for the n-th revision.
    revision: int | None = optional()


@attrs.define
class ProgressBegin(Payload):
    """`$/progress` value opening a stream."""

    kind: Literal["begin"] = attrs.field(default="begin", init=False)
    title: str
    #: `window/workDoneProgress/cancel` stops the request like `$/cancelRequest`.
    cancellable: bool = True


@attrs.define
class ProgressStageReport(Payload):
    """`$/progress` report that a stage starts (commands with stages); it has no `text`."""

    kind: Literal["report"] = attrs.field(default="report", init=False)
    #: The stage's label (`Writing code…`).
    message: str
    stage: Stage
    revision: int | None = optional()


@attrs.define
class ProgressTextReport(Payload):
    """`$/progress` report per flushed batch: the same text as its `ollama/token`."""

    kind: Literal["report"] = attrs.field(default="report", init=False)
    #: The stage's label and the deltas so far (≈ tokens): `Generating · 42 tokens`.
    message: str
    text: str
    text_kind: TextKind
    stage: Stage
    revision: int | None = optional()


@attrs.define
class ProgressEnd(Payload):
    """`$/progress` value closing a stream, sent before the response."""

    kind: Literal["end"] = attrs.field(default="end", init=False)
    #: `Done`, `Cancelled`, or the error's message.
    message: str


#: The `$/progress` values a stream sends, in this order: begin, reports, end.
ProgressValue = ProgressBegin | ProgressStageReport | ProgressTextReport | ProgressEnd


@attrs.define
class Progress(Payload):
    """Params of `$/progress` (standard LSP) carrying our values."""

    #: The request's `workDoneToken`, or the one the server created for it.
    token: int | str
    value: ProgressValue


#: The notifications a streaming command sends, with their params; both carry the same text.
NOTIFICATIONS: dict[str, type[Payload]] = {TOKEN_NOTIFICATION: TokenBatch, lsp.PROGRESS: Progress}

# --- Errors ----------------------------------------------------------------------------------

# The codes of the errors below.
REQUEST_CANCELLED = -32800
INVALID_PARAMS = -32602
REQUEST_FAILED = -32803

#: `data.kind` of a RequestFailed error; `noCode`: `ollama.generateCode` found no code in the
#: model's answer; `notFound`: no stored conversation has that id; `storageUnavailable`:
#: storage is off or failed (the message says what happened and where the file is).
FailureKind = ErrorKind | Literal["noCode", "notFound", "storageUnavailable"]


@attrs.define
class InvalidParamsData(Payload):
    #: The path of the bad field: `prompt`, `context[0].range`, `range.start` (`""` for the
    #: argument list itself).
    field: str


@attrs.define
class RequestFailedData(Payload):
    #: How it failed (the message says what to do).
    kind: FailureKind
    #: The answer's text so far, when some had arrived (with stages: the failing stage's text).
    partial_text: str = optional("")
    #: The stage that failed, for commands with stages.
    stage: Stage | None = optional()


class RequestCancelled(JsonRpcRequestCancelled):
    """The client cancelled; sent only after the stream's last notification."""

    CODE = REQUEST_CANCELLED

    def __init__(self) -> None:
        super().__init__("Request cancelled by the client.")


class InvalidParams(JsonRpcInvalidParams):
    """A bad argument: a wrong type, a missing or empty `prompt` / `instruction`, either over
    `limits.maxPromptChars`, a `uri` neither open nor under a workspace folder, a range outside
    the document, `maxRevisions` or `limit` out of range, a `cursor` not from
    `ollama.listConversations`, an unknown command."""

    CODE = INVALID_PARAMS

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, data=InvalidParamsData(field).to_wire())


class RequestFailed(JsonRpcException):
    """The model server failed, the model answered no code, or a stored conversation is not
    there (or storage is unavailable); the message says what to do."""

    CODE = REQUEST_FAILED

    def __init__(
        self, kind: FailureKind, message: str, partial_text: str = "", stage: Stage | None = None
    ) -> None:
        data = RequestFailedData(kind, partial_text, stage)
        super().__init__(message, data=data.to_wire())


#: The errors a command answers with (besides internal errors), and the class of their `data`.
ERRORS: dict[type[JsonRpcException], type[Payload] | None] = {
    RequestCancelled: None,
    InvalidParams: InvalidParamsData,
    RequestFailed: RequestFailedData,
}

# --- Parsing command arguments ---------------------------------------------------------------

T = TypeVar("T")


def parse_params(params_type: type[T], arguments: list[Any] | None) -> T:
    """Structure a command's single object argument, or raise -32602 naming the field."""
    if not arguments or len(arguments) != 1:
        raise InvalidParams(
            f"Expected exactly one object argument, got {len(arguments or [])}.", field=""
        )
    try:
        return structure(params_type, arguments[0])
    except ParamsError as error:
        raise InvalidParams(str(error), field=error.path) from None


# --- `ollama-lsp setup-embedded`: what an editor reads of it --------------------------------

#: Each progress line the embedded model's set-up prints on stderr starts with this; the rest
#: is for the user (VS Code shows it in the set-up's notification).
SETUP_PROGRESS_PREFIX = "==> "
#: The one line saying why the set-up failed (it exits with status 1) starts with this.
SETUP_FAILURE_PREFIX = "ollama-lsp setup-embedded: "
#: The file the set-up leaves in the environment it set up: VS Code sets the embedded model up
#: again in a new server environment (an upgrade) when the old one had this.
SETUP_DONE_MARKER = ENGINE_MARKER

__all__ = [
    "ERRORS",
    "INVALID_PARAMS",
    "MAX_PAGE",
    "MAX_REVISIONS",
    "NOTIFICATIONS",
    "REQUEST_CANCELLED",
    "REQUEST_FAILED",
    "SETUP_DONE_MARKER",
    "SETUP_FAILURE_PREFIX",
    "SETUP_PROGRESS_PREFIX",
    "SIGNATURES",
    "TOKEN_NOTIFICATION",
    "ChatParams",
    "ChatResult",
    "Command",
    "CommandSignature",
    "ContextRef",
    "ConversationParams",
    "ConversationSummary",
    "ConversationTurn",
    "DeleteConversationResult",
    "FailureKind",
    "GenerateCodeParams",
    "GenerateCodeResult",
    "GetConversationResult",
    "InvalidParams",
    "InvalidParamsData",
    "ListConversationsParams",
    "ListConversationsResult",
    "ListModelsResult",
    "ModelEntry",
    "Payload",
    "Progress",
    "ProgressBegin",
    "ProgressEnd",
    "ProgressStageReport",
    "ProgressTextReport",
    "ProgressValue",
    "RequestCancelled",
    "RequestFailed",
    "RequestFailedData",
    "ResetConversationParams",
    "Stage",
    "StorageStatus",
    "TextKind",
    "Timings",
    "TokenBatch",
    "Usage",
    "parse_params",
]
