"""The code workflow as a LangGraph `StateGraph`: plan → code → review → (revise → review)*.

It knows nothing of LSP. Each node announces itself through LangGraph's stream writer before
its model call, then streams its model deltas the same way; run it with
`stream_mode=["custom", "updates"]` (see `stream_codegen`) to get those events and the state
updates. Custom events are plain dicts:

- `{"type": "stage", "stage": "plan" | "code" | "review", "revision": n}`
- `{"type": "delta", "stage": ..., "revision": n, "kind": "content" | "thinking", "text": ...}`

The revise node streams as stage `code` with `revision` ≥ 1; code deltas are the cleaned code
(`cleaning.CodeExtractor`). Cancelling the task that iterates the stream cancels the running
node, which closes its model stream.

Importing this module imports LangGraph (about a second): load it with `load_workflow()`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import AsyncIterator, Callable
from typing import Any, TypedDict, cast

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from ollama_lsp.agents.backends.base import BackendError, ChatRequest, Finish, Message, ModelBackend

from . import prompts
from .cleaning import CodeExtractor, NoCodeError
from .job import CodegenJob, Stage


class CodegenState(TypedDict, total=False):
    job: CodegenJob
    plan: str
    code: str
    #: The last review's text (None when review is off).
    review: str | None
    #: What the last review found; empty means approved.
    problems: list[str]
    #: Revisions done so far (0 for the first writing).
    revisions: int


@dataclasses.dataclass(frozen=True)
class CodegenContext:
    """What the nodes need besides the state: the model server (LangGraph wants a dataclass)."""

    backend: ModelBackend


async def plan_node(state: CodegenState, runtime: Runtime[CodegenContext]) -> CodegenState:
    job = state["job"]
    plan = await _model_text(runtime, job, prompts.plan_messages(job), "plan", 0)
    return {"plan": plan}


async def code_node(state: CodegenState, runtime: Runtime[CodegenContext]) -> CodegenState:
    job = state["job"]
    messages = prompts.code_messages(job, state["plan"])
    return {"code": await _model_code(runtime, job, messages, revision=0), "revisions": 0}


async def review_node(state: CodegenState, runtime: Runtime[CodegenContext]) -> CodegenState:
    job = state["job"]
    messages = prompts.review_messages(job, state["plan"], state["code"])
    review = await _model_text(runtime, job, messages, "review", state["revisions"])
    return {"review": review, "problems": prompts.parse_verdict(review)}


async def revise_node(state: CodegenState, runtime: Runtime[CodegenContext]) -> CodegenState:
    job = state["job"]
    revision = state["revisions"] + 1
    messages = prompts.revise_messages(job, state["plan"], state["code"], state["problems"])
    return {"code": await _model_code(runtime, job, messages, revision), "revisions": revision}


def after_code(state: CodegenState) -> str:
    return "review" if state["job"].review else END


def after_review(state: CodegenState) -> str:
    if state["problems"] and state["revisions"] < state["job"].max_revisions:
        return "revise"
    return END


@functools.cache
def workflow() -> CompiledStateGraph[CodegenState, CodegenContext, CodegenState, CodegenState]:
    """The compiled graph (compiled once: it holds no per-run state)."""
    graph = StateGraph(CodegenState, context_schema=CodegenContext)
    graph.add_node("plan", plan_node)
    graph.add_node("code", code_node)
    graph.add_node("review", review_node)
    graph.add_node("revise", revise_node)
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "code")
    graph.add_conditional_edges("code", after_code, ["review", END])
    graph.add_conditional_edges("review", after_review, ["revise", END])
    graph.add_edge("revise", "review")
    return graph.compile()


def stream_codegen(backend: ModelBackend, job: CodegenJob) -> AsyncIterator[tuple[str, Any]]:
    """Run the workflow: yields `("custom", event)` and `("updates", {node: state_update})`."""
    steps = 3 + 2 * job.max_revisions  # plan, code, review, then revise + review each time
    events = workflow().astream(
        {"job": job, "review": None, "problems": [], "revisions": 0},
        context=CodegenContext(backend),
        stream_mode=["custom", "updates"],
        config={"recursion_limit": steps + 1},
    )
    return cast("AsyncIterator[tuple[str, Any]]", events)  # a list of modes yields pairs


async def _model_text(
    runtime: Runtime[CodegenContext],
    job: CodegenJob,
    messages: tuple[Message, ...],
    stage: Stage,
    revision: int,
) -> str:
    """Stream a stage's answer as it comes; returns its content."""
    write = get_stream_writer()
    write({"type": "stage", "stage": stage, "revision": revision})
    parts: list[str] = []

    def on_content(text: str) -> None:
        parts.append(text)
        _write_delta(write, stage, revision, "content", text)

    await _stream_model(runtime, job, messages, stage, revision, on_content)
    return "".join(parts)


async def _model_code(
    runtime: Runtime[CodegenContext], job: CodegenJob, messages: tuple[Message, ...], revision: int
) -> str:
    """Stream the code of a code stage: only what is certain to be code goes out."""
    write = get_stream_writer()
    write({"type": "stage", "stage": "code", "revision": revision})
    extractor = CodeExtractor(job.language)

    def on_content(text: str) -> None:
        _write_delta(write, "code", revision, "content", extractor.feed(text))

    answer = await _stream_model(runtime, job, messages, "code", revision, on_content)
    _write_delta(write, "code", revision, "content", extractor.finish())
    if not extractor.code.strip():
        raise NoCodeError(f"The model's answer contained no code: {answer.strip()[:300]!r}")
    return extractor.code


async def _stream_model(
    runtime: Runtime[CodegenContext],
    job: CodegenJob,
    messages: tuple[Message, ...],
    stage: Stage,
    revision: int,
    on_content: Callable[[str], None],
) -> str:
    """One model call; thinking goes out as it is, content through `on_content`."""
    write = get_stream_writer()
    content: list[str] = []
    finished = False
    request = ChatRequest(job.model, messages, job.options)
    async for event in runtime.context.backend.stream_chat(request):
        if isinstance(event, Finish):
            finished = True
        elif event.kind == "thinking":
            _write_delta(write, stage, revision, "thinking", event.text)
        else:
            content.append(event.text)
            on_content(event.text)
    if not finished:
        raise BackendError("streamDropped", "The model's stream ended without a finish.")
    return "".join(content)


def _write_delta(
    write: Callable[[Any], None], stage: Stage, revision: int, kind: str, text: str
) -> None:
    if text:
        write({"type": "delta", "stage": stage, "revision": revision, "kind": kind, "text": text})
