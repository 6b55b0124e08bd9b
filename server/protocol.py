"""Every custom method of ollama-lsp in one place: names, parameters, results, errors.

`docs/protocol.md` mirrors this module; keep the two in step. Commands travel as
`workspace/executeCommand` with one object argument; streams travel as `$/progress` reports and
`ollama/token` notifications. Field names on the wire are the camelCase of the Python names.
"""

from __future__ import annotations

import enum
from typing import Any, Literal, TypeVar

import attrs
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams, JsonRpcRequestCancelled

from ollama_lsp.agents.backends.base import DeltaKind, ErrorKind

from .structure import ParamsError, structure, unstructure

# --- Method names ----------------------------------------------------------------------------


class Command(enum.StrEnum):
    """Commands the client runs with `workspace/executeCommand`."""

    CHAT = "ollama.chat"
    LIST_MODELS = "ollama.listModels"
    RESET_CONVERSATION = "ollama.resetConversation"
    GENERATE_CODE = "ollama.generateCode"


#: Server → client notification carrying one batch of streamed text.
TOKEN_NOTIFICATION = "ollama/token"

#: Stages a stream's batches belong to: `chat`, or the stages of `ollama.generateCode`.
Stage = Literal["chat", "plan", "code", "review"]

# --- Shared pieces ---------------------------------------------------------------------------


@attrs.frozen
class ContextRef:
    """A snippet of an open document, or of a file under a workspace folder."""

    uri: str
    #: Whole document when absent.
    range: lsp.Range | None = None


# --- ollama.chat -----------------------------------------------------------------------------


@attrs.frozen
class ChatParams:
    prompt: str
    conversation_id: str | None = None
    model: str | None = None
    context: list[ContextRef] = attrs.field(factory=list)
    #: Generation options in camelCase (`temperature`, `numCtx`, `topP`, `numPredict`, `seed`,
    #: `stop`, ...); each backend maps them to its own names.
    options: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Usage:
    prompt_tokens: int | None
    completion_tokens: int | None


@attrs.frozen
class Timings:
    #: From the request's arrival to the first streamed delta (null when none came).
    first_token_ms: float | None
    total_ms: float


@attrs.frozen
class ChatResult:
    conversation_id: str
    text: str
    #: Reasoning of thinking models, never mixed into `text` ("" when the model sent none).
    thinking: str
    model: str
    done_reason: Literal["stop", "length"]
    usage: Usage
    timings: Timings


# --- ollama.listModels -----------------------------------------------------------------------


@attrs.frozen
class ModelEntry:
    name: str
    size_bytes: int | None = None
    modified_at: str | None = None


@attrs.frozen
class ListModelsResult:
    models: list[ModelEntry]
    #: The model used when a command names none (`ollama.model`).
    default: str


# --- ollama.resetConversation ----------------------------------------------------------------


@attrs.frozen
class ResetConversationParams:
    conversation_id: str


# --- ollama.generateCode ---------------------------------------------------------------------


@attrs.frozen
class GenerateCodeParams:
    uri: str
    #: The selection; an empty range is the cursor. In the negotiated position encoding.
    range: lsp.Range
    instruction: str
    model: str | None = None
    #: Send `workspace/applyEdit` at the end (else only return the edit).
    apply: bool = True
    review: bool = True
    #: How often a review's problems may send the code back for revision.
    max_revisions: int = 1
    #: Generation options for every stage, as for `ollama.chat`.
    options: dict[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class GenerateCodeResult:
    #: The code of the final revision: its code deltas joined.
    code: str
    plan: str
    #: The last review (null when `review` was false).
    review: str | None
    revisions: int
    #: One TextDocumentEdit for the document's version when the request arrived.
    edit: lsp.WorkspaceEdit
    applied: bool
    #: Why the edit was not applied (stale document, the client's reason); absent otherwise.
    failure_reason: str | None = None


#: The most revisions one request may ask for (each one is two more model calls).
MAX_REVISIONS = 5

# --- Streaming -------------------------------------------------------------------------------


@attrs.frozen
class TokenBatch:
    """Params of `ollama/token`: one flushed batch of one stage and one kind."""

    #: The `$/progress` token of the request, or its request id when it has no progress.
    token: int | str
    #: 0, 1, 2, ... per request, without gaps, across stages and kinds.
    seq: int
    stage: str
    kind: DeltaKind
    text: str


# --- Errors ----------------------------------------------------------------------------------

REQUEST_CANCELLED = -32800
REQUEST_FAILED = -32803
INVALID_PARAMS = -32602


class RequestCancelled(JsonRpcRequestCancelled):
    """-32800: the client cancelled; sent only after the stream's last notification."""

    def __init__(self) -> None:
        super().__init__("Request cancelled by the client.")


class InvalidParams(JsonRpcInvalidParams):
    """-32602 naming the bad field; `data.field` holds its path (e.g. `context[0].uri`)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, data={"field": field})


class RequestFailed(JsonRpcException):
    """-32803: the model server failed (or, `noCode`, answered no code); `data.kind` says how,
    `data.partialText` what came, `data.stage` in which stage of a workflow."""

    CODE = REQUEST_FAILED

    def __init__(
        self,
        kind: ErrorKind | Literal["noCode"],
        message: str,
        partial_text: str | None = None,
        **extra: Any,
    ) -> None:
        data: dict[str, Any] = {"kind": kind, **extra}
        if partial_text:
            data["partialText"] = partial_text
        super().__init__(message, data=data)


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


__all__ = [
    "INVALID_PARAMS",
    "MAX_REVISIONS",
    "REQUEST_CANCELLED",
    "REQUEST_FAILED",
    "TOKEN_NOTIFICATION",
    "ChatParams",
    "ChatResult",
    "Command",
    "ContextRef",
    "GenerateCodeParams",
    "GenerateCodeResult",
    "InvalidParams",
    "ListModelsResult",
    "ModelEntry",
    "RequestCancelled",
    "RequestFailed",
    "ResetConversationParams",
    "Stage",
    "Timings",
    "TokenBatch",
    "Usage",
    "parse_params",
    "unstructure",
]
