"""`ollama.generateCode`: the editor's side of the workflow in `agents/codegen`.

Graph events become `$/progress` stage reports and `ollama/token` batches; the final code
becomes a WorkspaceEdit for the document's version when the request arrived; `applyEdit` is
sent only if that version is still current, and once sent its outcome is always reported.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, TypeVar

import attrs
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from ollama_lsp.agents.backends import ModelBackend
from ollama_lsp.agents.backends.base import ContextOverflowError
from ollama_lsp.agents.codegen import (
    CodegenJob,
    NoCodeError,
    fit_code,
    load_workflow,
    surrounding_code,
)

from ..language_server import OllamaLanguageServer
from ..positions import PositionError
from ..protocol import (
    MAX_REVISIONS,
    GenerateCodeParams,
    GenerateCodeResult,
    InvalidParams,
    RequestFailed,
    Stage,
    parse_params,
)
from ..requests import CommandCall
from ..streaming import TokenStream

logger = logging.getLogger(__name__)

T = TypeVar("T")


async def generate_code(ls: OllamaLanguageServer, call: CommandCall) -> GenerateCodeResult:
    params = parse_params(GenerateCodeParams, call.arguments)
    ls.check_prompt(params.instruction, "instruction")
    if not 0 <= params.max_revisions <= MAX_REVISIONS:
        raise InvalidParams(f"`maxRevisions` must be 0 to {MAX_REVISIONS}.", "maxRevisions")
    try:
        document = ls.documents.get(params.uri)
    except LookupError as error:
        raise InvalidParams(f"`uri`: {error}.", "uri") from None
    try:
        start, end = document.span(params.range, ls.position_encoding)
    except PositionError as error:
        raise InvalidParams(f"`range`: {error}.", "range") from None
    # The document as the request found it: the edit is for this version only.
    version, text = document.version, document.text
    before, after = surrounding_code(text, start, end, ls.settings.codegen.context_chars)
    job = CodegenJob(
        instruction=params.instruction,
        language=document.language_id,
        file_name=document.name,
        selection=text[start:end],
        before=before,
        after=after,
        model=params.model or ls.settings.model,
        review=params.review,
        max_revisions=params.max_revisions,
        options=params.options,
        budgets=ls.settings.codegen.max_tokens,
    )
    async with ls.stream(call, title="Ollama: generate code", label="Planning…") as stream:
        outcome = await run_workflow(stream, ls.backend, job)
        new_text = fit_code(outcome.code, text, start, end)
        edit = document_edit(params.uri, version, params.range, new_text)
        applied, failure_reason = False, None
        if params.apply:
            applied, failure_reason = await apply_edit(ls, edit, params.uri, version, text)
    return GenerateCodeResult(
        code=outcome.code,
        plan=outcome.plan,
        review=outcome.review,
        revisions=outcome.revisions,
        edit=edit,
        applied=applied,
        notes=outcome.notes,
        failure_reason=failure_reason,
    )


def stage_label(stage: Stage, revision: int) -> str:
    if stage == "plan":
        return "Planning…"
    if stage == "review":
        return "Reviewing…"
    return "Writing code…" if revision == 0 else f"Revising ({revision})…"


@attrs.frozen
class WorkflowOutcome:
    plan: str
    code: str
    review: str | None
    revisions: int
    notes: list[str]


#: What to shorten when a stage's prompt does not fit the model's context.
CONTEXT_ADVICE = (
    "shorten the selection or the instruction, lower `ollama.codegen.contextChars`, or use a "
    "model with a larger context (`ollama.embedded.contextSize` for the embedded one)"
)


async def run_workflow(
    stream: TokenStream, backend: ModelBackend, job: CodegenJob
) -> WorkflowOutcome:
    """Run the workflow, streaming its stages and deltas; returns its final state."""
    stream_codegen = await load_workflow()
    state: dict[str, Any] = {}
    notes: list[str] = []  # each update carries its node's notes only
    try:
        async for mode, event in stream_codegen(backend, job):
            if mode == "updates":
                for update in event.values():
                    notes += (update or {}).get("notes", [])
                    state.update(update or {})
            elif event["type"] == "stage":
                label = stage_label(event["stage"], event["revision"])
                stream.start_stage(event["stage"], label, event["revision"])
            else:
                stream.push(event["stage"], event["kind"], event["text"], event["revision"])
    except NoCodeError as error:
        raise RequestFailed("noCode", str(error), stage=stream.stage) from None
    except ContextOverflowError as error:
        raise error.with_advice(CONTEXT_ADVICE) from None
    return WorkflowOutcome(
        plan=state["plan"],
        code=state["code"],
        review=state.get("review"),
        revisions=state["revisions"],
        notes=notes,
    )


def document_edit(uri: str, version: int | None, range: lsp.Range, text: str) -> lsp.WorkspaceEdit:
    return lsp.WorkspaceEdit(
        document_changes=[
            lsp.TextDocumentEdit(
                text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=[lsp.TextEdit(range=range, new_text=text)],
            )
        ]
    )


async def apply_edit(
    ls: OllamaLanguageServer, edit: lsp.WorkspaceEdit, uri: str, version: int | None, text: str
) -> tuple[bool, str | None]:
    """Send `workspace/applyEdit` unless the document moved on from (`version`, `text`).

    Returns `(applied, failureReason)`.
    """
    workspace = ls.client_capabilities.workspace
    if workspace is None or not workspace.apply_edit:
        return False, "The client does not support workspace/applyEdit; apply the edit yourself."
    try:
        current = ls.documents.get(uri)
    except LookupError:
        return False, "The document was closed or removed during generation; nothing was applied."
    if current.version != version or current.text != text:
        return False, (
            f"The document changed during generation (version {version}, now "
            f"{current.version}); nothing was applied, so none of the new text was overwritten."
        )
    request = asyncio.ensure_future(
        ls.workspace_apply_edit_async(
            lsp.ApplyWorkspaceEditParams(edit=edit, label="Ollama: generate code")
        )
    )
    try:
        answer = await _outcome_despite_cancel(request)
    except JsonRpcException as error:
        return False, f"The client failed workspace/applyEdit: {error.message}"
    return answer.applied, answer.failure_reason


async def _outcome_despite_cancel(request: asyncio.Future[T]) -> T:
    """Wait for a request whose effect cannot be taken back: a cancel now comes too late, and
    the response must tell what happened."""
    task = asyncio.current_task()
    assert task is not None
    while True:
        try:
            return await asyncio.shield(request)
        except asyncio.CancelledError:
            if request.cancelled():
                raise
            logger.info("Cancel after workspace/applyEdit was sent: answering normally.")
            while task.cancelling():
                task.uncancel()
