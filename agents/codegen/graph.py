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

Every model call is bounded: a token budget per stage (`CodegenJob.token_budget`), a
`RepetitionGuard` that closes the stream when the model loops (keeping the text before the loop
and its first occurrence), and the code stages end as soon as the code block closes (small
models go on explaining, or loop, after it). The workflow then goes on with what it has; each
cut that matters is said in the state's `notes`.

Importing this module imports LangGraph (about a second): load it with `load_workflow()`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import operator
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Annotated, Any, Literal, TypedDict, cast

from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from ollama_lsp.agents.backends.base import BackendError, ChatRequest, Finish, Message, ModelBackend
from ollama_lsp.agents.repetition import RepetitionGuard

from . import prompts
from .cleaning import CodeExtractor, NoCodeError
from .job import CODE_TOKENS_BASE, CodegenJob, Stage


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
    #: Sentences for the user about stages cut short (each node adds its own).
    notes: Annotated[list[str], operator.add]


@dataclasses.dataclass(frozen=True)
class CodegenContext:
    """What the nodes need besides the state: the model server (LangGraph wants a dataclass)."""

    backend: ModelBackend


async def plan_node(state: CodegenState, runtime: Runtime[CodegenContext]) -> CodegenState:
    job = state["job"]
    plan = await _model_text(runtime, job, prompts.plan_messages(job), "plan", 0)
    return {"plan": plan.text, **plan.noted()}


async def code_node(state: CodegenState, runtime: Runtime[CodegenContext]) -> CodegenState:
    job = state["job"]
    messages = prompts.code_messages(job, state["plan"])
    code = await _model_code(runtime, job, messages, revision=0)
    return {"code": code.text, "revisions": 0, **code.noted()}


async def review_node(state: CodegenState, runtime: Runtime[CodegenContext]) -> CodegenState:
    job = state["job"]
    messages = prompts.review_messages(job, state["plan"], state["code"])
    review = await _model_text(runtime, job, messages, "review", state["revisions"])
    problems = prompts.parse_verdict(review.text)
    return {"review": review.text, "problems": problems, **review.noted()}


async def revise_node(state: CodegenState, runtime: Runtime[CodegenContext]) -> CodegenState:
    job = state["job"]
    revision = state["revisions"] + 1
    messages = prompts.revise_messages(job, state["plan"], state["code"], state["problems"])
    code = await _model_code(runtime, job, messages, revision)
    return {"code": code.text, "revisions": revision, **code.noted()}


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
        {"job": job, "review": None, "problems": [], "revisions": 0, "notes": []},
        context=CodegenContext(backend),
        stream_mode=["custom", "updates"],
        config={"recursion_limit": steps + 1},
    )
    return cast("AsyncIterator[tuple[str, Any]]", events)  # a list of modes yields pairs


@dataclasses.dataclass(frozen=True)
class StageAnswer:
    """What one stage's model call gave: its text, and why it is shorter than the model wanted."""

    text: str
    stage: Stage
    revision: int
    #: `budget`: the stage's token budget ran out; `loop`: the model repeated itself.
    cut: Literal["budget", "loop"] | None = None
    budget: int = 0
    #: The code's budget came from the task's size, below `ollama.codegen.maxTokens.code`: raising
    #: that setting would not have helped.
    task_sized: bool = False

    def noted(self) -> CodegenState:
        """The state update adding `notes()`, if any (updates stay as they were otherwise)."""
        notes = self.notes()
        return {"notes": notes} if notes else {}

    def notes(self) -> list[str]:
        """What the user should know about this answer (nothing when it is whole)."""
        name = f"revision {self.revision}" if self.stage == "code" and self.revision else self.stage
        if self.cut == "loop":
            return [f"The model began repeating itself in the {name}; the repeats were cut off."]
        if self.cut != "budget":
            return []
        setting = f"`ollama.codegen.maxTokens.{self.stage}` (or `options.numPredict`)"
        if self.task_sized:
            return [
                f"The {name} reached its budget of {self.budget} tokens and may be incomplete (a "
                f"task's budget is {CODE_TOKENS_BASE} tokens plus one per two characters of its "
                "selection and instruction, at most `ollama.codegen.maxTokens.code`; "
                "`options.numPredict` sets it outright)."
            ]
        if self.stage == "code":
            return [
                f"The {name} reached its budget of {self.budget} tokens and may be incomplete: "
                f"raise {setting}."
            ]
        return [f"The {name} reached its budget of {self.budget} tokens and was cut there."]


async def _model_text(
    runtime: Runtime[CodegenContext],
    job: CodegenJob,
    messages: tuple[Message, ...],
    stage: Stage,
    revision: int,
) -> StageAnswer:
    """Stream a stage's answer as it comes."""
    write = get_stream_writer()
    write({"type": "stage", "stage": stage, "revision": revision})

    def on_content(text: str) -> None:
        _write_delta(write, stage, revision, "content", text)

    return await _stream_model(runtime, job, messages, stage, revision, on_content)


async def _model_code(
    runtime: Runtime[CodegenContext], job: CodegenJob, messages: tuple[Message, ...], revision: int
) -> StageAnswer:
    """Stream the code of a code stage: only what is certain to be code goes out; the answer's
    text is that code."""
    write = get_stream_writer()
    write({"type": "stage", "stage": "code", "revision": revision})
    extractor = CodeExtractor(job.language)

    def on_content(text: str) -> None:
        _write_delta(write, "code", revision, "content", extractor.feed(text))

    def block_closed() -> bool:
        return extractor.block_closed

    answer = await _stream_model(runtime, job, messages, "code", revision, on_content, block_closed)
    _write_delta(write, "code", revision, "content", extractor.finish())
    if not extractor.code.strip():
        raise NoCodeError(f"The model's answer contained no code: {answer.text.strip()[:300]!r}")
    return dataclasses.replace(answer, text=extractor.code)


async def _stream_model(
    runtime: Runtime[CodegenContext],
    job: CodegenJob,
    messages: tuple[Message, ...],
    stage: Stage,
    revision: int,
    on_content: Callable[[str], None],
    enough: Callable[[], bool] = lambda: False,
) -> StageAnswer:
    """One model call, within the stage's budget, closed early when the model loops or when
    `enough()` says the rest is not needed; thinking goes out as it is, content through the
    repetition guard to `on_content`."""
    write = get_stream_writer()
    content: list[str] = []
    guard = RepetitionGuard()

    def take(text: str) -> None:
        if text:
            content.append(text)
            on_content(text)

    options = job.stage_options(stage)
    request = ChatRequest(job.model, messages, options)
    finish: Finish | None = None
    stream = runtime.context.backend.stream_chat(request)
    assert isinstance(stream, AsyncGenerator)  # every backend's is: `aclose` closes the model
    async with contextlib.aclosing(stream) as events:
        async for event in events:
            if isinstance(event, Finish):
                finish = event
            elif event.kind == "thinking":
                _write_delta(write, stage, revision, "thinking", event.text)
            else:
                take(guard.feed(event.text))
                if guard.looping or enough():
                    break  # leaving `aclosing` closes the model stream
    if guard.looping:
        return StageAnswer("".join(content), stage, revision, cut="loop")
    take(guard.finish())
    text = "".join(content)
    if enough():
        return StageAnswer(text, stage, revision)
    if finish is None:
        raise BackendError("streamDropped", "The model's stream ended without a finish.")
    if finish.done_reason == "length":
        budget = options["numPredict"]
        task_sized = (
            stage == "code" and "numPredict" not in job.options and budget < job.budgets.code
        )
        return StageAnswer(text, stage, revision, "budget", budget, task_sized)
    return StageAnswer(text, stage, revision)


def _write_delta(
    write: Callable[[Any], None], stage: Stage, revision: int, kind: str, text: str
) -> None:
    if text:
        write({"type": "delta", "stage": stage, "revision": revision, "kind": kind, "text": text})
