"""The code workflow on its own — no LSP: a LangGraph run against the fake model server."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from fake_model_server import FakeModelServer, Script
from ollama_lsp.agents.backends import BackendConfig, BackendError, OllamaBackend
from ollama_lsp.agents.codegen import CodegenJob, NoCodeError, TokenBudgets, load_workflow
from ollama_lsp.agents.codegen.prompts import (
    CODE_TASK,
    PLAN_TASK,
    REVIEW_TASK,
    parse_verdict,
)
from tests.support import script_stages


@pytest_asyncio.fixture
async def backend(fake: FakeModelServer) -> AsyncIterator[OllamaBackend]:
    backend = OllamaBackend(BackendConfig(base_url=fake.base_url))
    yield backend
    await backend.aclose()


def job(**changes: Any) -> CodegenJob:
    fields: dict[str, Any] = {
        "instruction": "return the double",
        "language": "python",
        "file_name": "m.py",
        "selection": "return x",
        "before": "def f(x):\n    ",
        "after": "\n",
        "model": "test-model",
        **changes,
    }
    return CodegenJob(**fields)


async def run(backend: OllamaBackend, codegen_job: CodegenJob) -> list[tuple[str, Any]]:
    stream_codegen = await load_workflow()
    return [event async for event in stream_codegen(backend, codegen_job)]


def script(fake: FakeModelServer, review: list[str], code: list[str] | None = None) -> None:
    script_stages(
        fake,
        plan=Script(chunks=["- double ", "it"]),
        code=Script(chunks=code or ["Sure:\n```python\n", "return x", " * 2\n```"]),
        review=Script(chunks=review),
        revise=Script(chunks=["```python\nreturn 2 * x\n```"]),
    )


async def test_events_announce_each_stage_before_its_deltas(backend, fake: FakeModelServer):
    script(fake, review=["APPROVE"])
    events = await run(backend, job())
    custom = [event for mode, event in events if mode == "custom"]
    assert custom == [
        {"type": "stage", "stage": "plan", "revision": 0},
        {"type": "delta", "stage": "plan", "revision": 0, "kind": "content", "text": "- double "},
        {"type": "delta", "stage": "plan", "revision": 0, "kind": "content", "text": "it"},
        {"type": "stage", "stage": "code", "revision": 0},
        {"type": "delta", "stage": "code", "revision": 0, "kind": "content", "text": "return x"},
        {"type": "delta", "stage": "code", "revision": 0, "kind": "content", "text": " * 2"},
        {"type": "stage", "stage": "review", "revision": 0},
        {"type": "delta", "stage": "review", "revision": 0, "kind": "content", "text": "APPROVE"},
    ]
    updates = [event for mode, event in events if mode == "updates"]
    assert [list(update) for update in updates] == [["plan"], ["code"], ["review"]]
    assert updates[1]["code"] == {"code": "return x * 2", "revisions": 0}
    assert updates[2]["review"] == {"review": "APPROVE", "problems": []}


async def test_problems_send_the_code_back_at_most_max_revisions_times(backend, fake):
    script(fake, review=["PROBLEMS:\n", "- overflows\n"])
    events = await run(backend, job(max_revisions=2))
    nodes = [next(iter(event)) for mode, event in events if mode == "updates"]
    assert nodes == ["plan", "code", "review", "revise", "review", "revise", "review"]
    stages = [
        (e["stage"], e["revision"]) for m, e in events if m == "custom" and e["type"] == "stage"
    ]
    assert stages[3:] == [("code", 1), ("review", 1), ("code", 2), ("review", 2)]
    final = [e for m, e in events if m == "updates"][-2]["revise"]
    assert final == {"code": "return 2 * x", "revisions": 2}
    assert "overflows" in fake.requests[3].last_user_message


async def test_without_review_the_code_is_final(backend, fake):
    script(fake, review=["PROBLEMS:\n- never asked"])
    events = await run(backend, job(review=False))
    assert [next(iter(e)) for m, e in events if m == "updates"] == ["plan", "code"]
    assert len(fake.requests) == 2


async def test_a_model_error_surfaces_as_the_backend_error(backend, fake):
    script(fake, review=["APPROVE"])
    fake.script(Script(status=500, error="out of memory"), match=CODE_TASK)
    with pytest.raises(BackendError) as excinfo:
        await run(backend, job())
    assert "out of memory" in excinfo.value.message


async def test_an_answer_without_code_raises_no_code(backend, fake):
    script(fake, review=["APPROVE"], code=["Sorry, I cannot do that for you."])
    with pytest.raises(NoCodeError):
        await run(backend, job())


async def test_cancelling_the_run_closes_the_model_stream(backend, fake: FakeModelServer):
    script(fake, review=["APPROVE"])
    fake.script(Script(chunks=[f"- step {i}\n" for i in range(500)], delay_s=0.02), match=PLAN_TASK)
    task = asyncio.ensure_future(run(backend, job()))
    request = await fake.wait_for_request()
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await fake.wait_disconnect(request, timeout=2)
    assert not request.finished and len(fake.requests) == 1


def updates_of(events: list[tuple[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last update of each node."""
    return {
        node: update
        for mode, event in events
        if mode == "updates"
        for node, update in event.items()
    }


def deltas_of(events: list[tuple[str, Any]], stage: str) -> str:
    return "".join(
        e["text"]
        for m, e in events
        if m == "custom" and e["type"] == "delta" and e["stage"] == stage
    )


async def test_each_stage_asks_for_its_token_budget(backend, fake: FakeModelServer):
    script(fake, review=["APPROVE"])
    await run(backend, job())
    selection_and_instruction = len("return x") + len("return the double")
    code_budget = 256 + selection_and_instruction // 2  # sized to the task
    budgets = [r.body["options"]["num_predict"] for r in fake.requests]
    assert budgets == [256, code_budget, 256]


async def test_budgets_come_from_the_job_and_the_code_budget_is_capped(backend, fake):
    script(fake, review=["APPROVE"])
    await run(backend, job(selection="x = 1\n" * 2000, budgets=TokenBudgets(100, 700, 50)))
    assert [r.body["options"]["num_predict"] for r in fake.requests] == [100, 700, 50]


async def test_a_looping_plan_is_cut_its_stream_closed_and_the_workflow_goes_on(
    backend, fake: FakeModelServer
):
    script(fake, review=["APPROVE"])
    loop = Script(chunks=["- double it\n", *["- write the code for it\n"] * 400], delay_s=0.005)
    fake.script(loop, match=PLAN_TASK)
    events = await run(backend, job())
    plan_request = fake.requests[0]
    await fake.wait_disconnect(plan_request, timeout=2)
    assert not plan_request.finished
    updates = updates_of(events)
    assert list(updates) == ["plan", "code", "review"]
    assert (
        updates["plan"]["plan"]
        == deltas_of(events, "plan")
        == ("- double it\n- write the code for it\n")
    )
    (note,) = updates["plan"]["notes"]
    assert "repeating itself in the plan" in note
    assert "- write the code for it" in fake.requests[1].last_user_message
    assert updates["code"] == {"code": "return x * 2", "revisions": 0}


async def test_the_code_stage_ends_when_its_code_block_closes(backend, fake: FakeModelServer):
    script(fake, review=["APPROVE"])
    rambling = [f"Explanation, sentence number {i}.\n" for i in range(400)]
    answer = Script(chunks=["```python\n", "return x * 2\n", "```\n", *rambling], delay_s=0.005)
    fake.script(answer, match=CODE_TASK)
    events = await run(backend, job())
    code_request = fake.requests[1]
    await fake.wait_disconnect(code_request, timeout=2)
    assert not code_request.finished
    assert updates_of(events)["code"] == {"code": "return x * 2", "revisions": 0}  # no notes
    assert REVIEW_TASK in fake.requests[2].last_user_message


async def test_a_stage_that_reaches_its_budget_goes_on_and_says_so(backend, fake: FakeModelServer):
    script(fake, review=["APPROVE"])
    fake.script(Script(chunks=["- double ", "it and"], done_reason="length"), match=PLAN_TASK)
    cut_code = Script(chunks=["```python\n", "return (x *\n", "   "], done_reason="length")
    fake.script(cut_code, match=CODE_TASK)
    events = await run(backend, job(budgets=TokenBudgets(plan=100)))
    updates = updates_of(events)
    assert updates["plan"] == {
        "plan": "- double it and",
        "notes": ["The plan reached its budget of 100 tokens and was cut there."],
    }
    assert updates["code"] == {
        "code": "return (x *",
        "revisions": 0,
        "notes": [
            "The code reached its budget of 268 tokens and may be incomplete (a task's budget "
            "is 256 tokens plus one per two characters of its selection and instruction, at "
            "most `ollama.codegen.maxTokens.code`; `options.numPredict` sets it outright)."
        ],
    }
    assert list(updates) == ["plan", "code", "review"]  # the review judges what there is


async def test_a_code_budget_set_by_the_setting_says_to_raise_it(backend, fake: FakeModelServer):
    script(fake, review=["APPROVE"])
    cut_code = Script(chunks=["```python\n", "return (x *\n", "   "], done_reason="length")
    fake.script(cut_code, match=CODE_TASK)
    updates = updates_of(await run(backend, job(budgets=TokenBudgets(code=100))))
    assert updates["code"]["notes"] == [
        "The code reached its budget of 100 tokens and may be incomplete: raise "
        "`ollama.codegen.maxTokens.code` (or `options.numPredict`)."
    ]


@pytest.mark.parametrize(
    ("review", "problems"),
    [
        ("APPROVE", []),
        ("APPROVE\nbut maybe rename x", []),
        ("\n**APPROVE**", []),
        ("PROBLEMS:\n- misses None\n2. off by one\n\n", ["misses None", "off by one"]),
        ("PROBLEMS: misses None", ["misses None"]),
        ("**PROBLEMS:**\n* a bug", ["a bug"]),
    ],
)
def test_verdict(review: str, problems: list[str]):
    assert parse_verdict(review) == problems


@pytest.mark.parametrize("review", ["Looks good to me!", "", "PROBLEMS:"])
def test_anything_else_counts_as_approval_and_is_logged(review: str, caplog):
    with caplog.at_level(logging.WARNING, logger="ollama_lsp.agents.codegen.prompts"):
        assert parse_verdict(review) == []
    assert caplog.records


def test_starting_the_server_does_not_import_langgraph():
    """LangGraph is imported on first use, off the event loop: never at spawn or initialize."""
    check = (
        "import sys, ollama_lsp.server.cli, ollama_lsp.server.server; "
        "ollama_lsp.server.server.create_server(); "
        "sys.exit(any(name.startswith('langgraph') for name in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", check], timeout=60).returncode == 0
