"""`ollama.generateCode` over a real LSP connection, with scripted plan / code / review answers."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from fake_model_server import FakeModelServer, Script
from ollama_lsp.server.protocol import INVALID_PARAMS, REQUEST_CANCELLED, REQUEST_FAILED, Command
from tests.lsp_helpers import (
    DOCUMENT_URI,
    OllamaClient,
    StartClient,
    apply,
    change_document,
    code_text,
    lsp_range,
    open_document,
    stage_reports,
)
from tests.support import APPROVE, CODE, PLAN, script_stages

CAN_APPLY = lsp.ClientCapabilities(workspace=lsp.WorkspaceClientCapabilities(apply_edit=True))

CODE_TEXT = (
    "def parse(s):\n    if not s:\n        raise ValueError('empty')\n"
    "    return date.fromisoformat(s)"
)
PROBLEMS = Script(chunks=["PROBLEMS:\n", "- misses None\n"])

DOCUMENT = (
    "from datetime import date\n"
    "\n"
    "class Dates:\n"
    "    def parse(self, s):\n"
    "        return s\n"
    "\n"
    "    def today(self):\n"
    "        return date.today()\n"
)


def generate(client: OllamaClient, range: dict[str, Any], token: str = "g", **extra: Any):
    argument = {"uri": DOCUMENT_URI, "range": range, "instruction": "validate the input", **extra}
    return client.send_command(Command.GENERATE_CODE, argument, token=token)


async def test_stages_stream_in_order_and_the_edit_replaces_the_selection(
    start_client: StartClient, fake: FakeModelServer
):
    script_stages(fake)
    client = await start_client(capabilities=CAN_APPLY)
    open_document(client, DOCUMENT)
    selection = lsp_range((3, 0), (5, 0))  # the whole `parse` method, with its line break
    request_id, outcome = generate(client, selection)
    result = await outcome
    wire = client.wire

    assert stage_reports(client, "g") == [
        ("plan", 0, "Planning…"),
        ("code", 0, "Writing code…"),
        ("review", 0, "Reviewing…"),
    ]
    batches = wire.batches("g")
    order = {"plan": 0, "code": 1, "review": 2}
    assert [order[b["stage"]] for b in batches] == sorted(order[b["stage"]] for b in batches)
    assert wire.text("g", stage="plan") == result["plan"] == "".join(PLAN.chunks)
    assert wire.text("g", stage="review") == result["review"] == "".join(APPROVE.chunks)
    assert code_text(client, "g", 0) == result["code"] == CODE_TEXT
    reports = [p for p in wire.progress("g") if "text" in p]
    labels = ("Planning… · ", "Writing code… · ", "Reviewing… · ")
    assert reports and all(r["message"].startswith(labels) for r in reports)
    assert result["revisions"] == 0 and result["notes"] == []
    wire.assert_nothing_after_response(request_id, "g")
    assert wire.progress("g")[-1] == {"kind": "end", "message": "Done"}

    expected = DOCUMENT.replace(
        "    def parse(self, s):\n        return s\n",
        "    def parse(s):\n        if not s:\n            raise ValueError('empty')\n"
        "        return date.fromisoformat(s)\n",
    )
    assert apply(DOCUMENT, result["edit"]) == expected
    assert result["edit"]["documentChanges"][0]["textDocument"] == {
        "uri": DOCUMENT_URI,
        "version": 1,
    }
    assert result["applied"] is True and "failureReason" not in result
    (sent,) = wire.applied_edits()
    assert sent["edit"] == result["edit"]
    assert wire.events.index(("applyEdit", sent)) < wire.index_of_response(request_id)


async def test_every_stage_prompt_gets_what_it_needs(start_client: StartClient, fake):
    script_stages(fake)
    client = await start_client(capabilities=CAN_APPLY)
    open_document(client, DOCUMENT)
    options = {"temperature": 0.1, "numPredict": 300}
    await generate(client, lsp_range((4, 8), (4, 16)), apply=False, options=options)[1]
    assert all(r.body["options"] == {"temperature": 0.1, "num_predict": 300} for r in fake.requests)
    plan, code, review = (r.last_user_message for r in fake.requests)
    for prompt in (plan, code, review):
        assert "validate the input" in prompt and "python" in prompt
    for prompt in (plan, code):
        assert "return s" in prompt  # the selection
        assert "class Dates:" in prompt and "def today(self):" in prompt  # code around it
    assert "".join(PLAN.chunks).strip() in code
    assert "".join(PLAN.chunks).strip() in review and CODE_TEXT in review
    assert "class Dates:" not in review


async def test_stage_budgets_come_from_the_settings(start_client: StartClient, fake):
    script_stages(fake)
    client = await start_client({"codegen": {"maxTokens": {"plan": 64, "code": 80, "review": 32}}})
    open_document(client, DOCUMENT)
    await generate(client, lsp_range((4, 8), (4, 16)), apply=False)[1]
    assert [r.body["options"] for r in fake.requests] == [
        {"num_predict": 64},
        {"num_predict": 80},
        {"num_predict": 32},
    ]


async def test_a_looping_plan_is_cut_and_the_result_says_so(start_client: StartClient, fake):
    loop = Script(chunks=["- check s\n", *["- raise ValueError when s is empty\n"] * 300])
    script_stages(fake, plan=loop)
    client = await start_client(capabilities=CAN_APPLY)
    open_document(client, DOCUMENT)
    result = await generate(client, lsp_range((4, 8), (4, 16)))[1]
    assert result["plan"] == client.wire.text("g", stage="plan")
    assert result["plan"] == "- check s\n- raise ValueError when s is empty\n"
    assert result["notes"] == [
        "The model began repeating itself in the plan; the repeats were cut off."
    ]
    assert result["code"] == CODE_TEXT and result["applied"] is True


async def test_insertion_at_a_cursor_with_emoji_and_cjk(start_client: StartClient, fake):
    script_stages(fake, code=Script(chunks=["```python\n", "label = '中文 👩‍💻'\n", "```"]))
    client = await start_client(capabilities=CAN_APPLY)
    document = "greeting = '🎉 你好'\n    \nprint(greeting)\n"
    open_document(client, document)
    # The end of line 0: UTF-16 character 18 (the emoji counts 2; 17 code points).
    result = await generate(client, lsp_range((0, 18)))[1]
    assert result["edit"]["documentChanges"][0]["edits"][0]["range"] == lsp_range((0, 18))
    assert apply(document, result["edit"]) == (
        "greeting = '🎉 你好'\nlabel = '中文 👩‍💻'\n    \nprint(greeting)\n"
    )
    assert result["code"] == "label = '中文 👩‍💻'"


async def test_replacing_an_expression_after_an_emoji(start_client: StartClient, fake):
    script_stages(fake, code=Script(chunks=["```\n'🚀 ok'\n```"]))
    client = await start_client(capabilities=CAN_APPLY)
    document = "a = '🎉'; b = 'old'\n"
    open_document(client, document)
    result = await generate(client, lsp_range((0, 14), (0, 19)))[1]  # 'old'
    assert apply(document, result["edit"]) == "a = '🎉'; b = '🚀 ok'\n"


async def test_crlf_and_tab_indented_document(start_client: StartClient, fake):
    script_stages(fake, code=Script(chunks=["```go\nif x > 0 {\n    fmt.Println(x)\n}\n```"]))
    client = await start_client(capabilities=CAN_APPLY)
    document = "func main() {\r\n\tx := 1\r\n\r\n}\r\n"
    open_document(client, document, language="go")
    result = await generate(client, lsp_range((2, 0)))[1]
    assert apply(document, result["edit"]) == (
        "func main() {\r\n\tx := 1\r\n\tif x > 0 {\r\n\t\tfmt.Println(x)\r\n\t}\r\n}\r\n"
    )


async def test_form_feed_and_line_separator_are_not_line_breaks(start_client: StartClient, fake):
    """pygls' splitlines would put LSP line 2 on `y = 2`; ours keeps LSP's line breaks."""
    script_stages(fake, code=Script(chunks=["```python\nz = 30\n```"]))
    client = await start_client(capabilities=CAN_APPLY)
    document = "x = 1\f\ny = 2\u2028!\nz = 3\n"
    open_document(client, document)
    change_document(client, (2, 4), (2, 5), "4", version=2)
    document = "x = 1\f\ny = 2\u2028!\nz = 4\n"
    result = await generate(client, lsp_range((2, 0), (2, 5)))[1]
    assert "z = 4" in fake.requests[0].last_user_message  # the selection, after the change
    assert result["edit"]["documentChanges"][0]["textDocument"]["version"] == 2
    assert apply(document, result["edit"]) == "x = 1\f\ny = 2\u2028!\nz = 30\n"


async def test_typing_during_generation_leaves_the_document_alone(
    start_client: StartClient, fake: FakeModelServer
):
    slow_code = Script(chunks=CODE.chunks, delay_s=0.05)
    script_stages(fake, code=slow_code)
    client = await start_client(capabilities=CAN_APPLY)
    open_document(client, DOCUMENT)
    _, outcome = generate(client, lsp_range((4, 0), (5, 0)))
    await client.wire.wait_for(lambda: code_text(client, "g", 0))
    change_document(client, (0, 0), (0, 0), "# typed\n", version=2)
    result = await outcome
    assert result["applied"] is False
    assert "changed" in result["failureReason"] and "version 1" in result["failureReason"]
    assert client.wire.applied_edits() == []  # nothing clobbers what the user typed
    assert result["edit"]["documentChanges"][0]["textDocument"]["version"] == 1


async def test_the_client_refusing_the_edit_is_reported(start_client: StartClient, fake):
    script_stages(fake)
    client = await start_client(capabilities=CAN_APPLY)
    client.apply_edit_answer = lsp.ApplyWorkspaceEditResult(
        applied=False, failure_reason="read-only file"
    )
    open_document(client, DOCUMENT)
    result = await generate(client, lsp_range((4, 0), (5, 0)))[1]
    assert result["applied"] is False and result["failureReason"] == "read-only file"


async def test_apply_false_only_returns_the_edit(start_client: StartClient, fake):
    script_stages(fake)
    client = await start_client(capabilities=CAN_APPLY)
    open_document(client, DOCUMENT)
    result = await generate(client, lsp_range((4, 0), (5, 0)), apply=False)[1]
    assert result["applied"] is False and "failureReason" not in result
    assert client.wire.applied_edits() == []
    assert "raise ValueError('empty')" in apply(DOCUMENT, result["edit"])


async def test_a_workspace_file_that_is_not_open_has_no_version(
    start_client: StartClient, fake, tmp_path: Path
):
    script_stages(fake, code=Script(chunks=["```\nfn two() -> u8 { 2 }\n```"]))
    source = tmp_path / "lib.rs"
    source.write_text("fn one() -> u8 { 1 }\n")
    client = await start_client(capabilities=CAN_APPLY, workspace=tmp_path.as_uri())
    argument = {"uri": source.as_uri(), "range": lsp_range((1, 0)), "instruction": "add two"}
    result = await client.command(Command.GENERATE_CODE, argument)
    change = result["edit"]["documentChanges"][0]
    assert change["textDocument"] == {"uri": source.as_uri(), "version": None}
    assert change["edits"][0]["newText"] == "fn two() -> u8 { 2 }"
    assert "rust" in fake.requests[0].last_user_message
    assert result["applied"] is True  # the client was asked (it opens the file to apply it)


@pytest.mark.parametrize(
    ("review", "max_revisions", "review_script", "revisions", "model_calls"),
    [
        (True, 1, APPROVE, 0, 3),
        (True, 1, PROBLEMS, 1, 5),
        (True, 2, PROBLEMS, 2, 7),
        (True, 0, PROBLEMS, 0, 3),
        (False, 1, PROBLEMS, 0, 2),
    ],
)
async def test_reviews_and_revisions(
    start_client: StartClient, fake, review, max_revisions, review_script, revisions, model_calls
):
    first = Script(chunks=["```python\n", "return 'v0'\n", "```"])
    script_stages(
        fake, code=first, review=review_script, revise=Script(chunks=["```\nreturn 'v1'\n```"])
    )
    # Each revision's prompt shows the code it revises: answer v1 to v0, v2 to v1.
    fake.script(
        Script(chunks=["```python\nreturn 'v2'\n```"]),
        match="Your previous code:\n```python\nreturn 'v1'",
    )
    client = await start_client(capabilities=CAN_APPLY)
    open_document(client, DOCUMENT)
    result = await generate(
        client, lsp_range((4, 8), (4, 16)), review=review, maxRevisions=max_revisions
    )[1]
    assert len(fake.requests) == model_calls
    assert result["revisions"] == revisions
    assert result["code"] == f"return 'v{revisions}'" == code_text(client, "g", revisions)
    expected = [("plan", 0, "Planning…"), ("code", 0, "Writing code…")]
    if review:
        expected.append(("review", 0, "Reviewing…"))
    for n in range(1, revisions + 1):
        expected += [("code", n, f"Revising ({n})…"), ("review", n, "Reviewing…")]
    assert stage_reports(client, "g") == expected
    if review:
        assert result["review"] == "".join(review_script.chunks)
        if revisions:
            assert "misses None" in fake.requests[3].last_user_message  # the problems
    else:
        assert result["review"] is None


SLOW = {
    "plan": Script(chunks=[f"- step {i}\n" for i in range(500)], delay_s=0.02),
    "code": Script(chunks=["```python\n", *[f"x{i} = {i}\n" for i in range(500)]], delay_s=0.02),
    "review": Script(chunks=["PROBLEMS:\n", *[f"- p{i}\n" for i in range(500)]], delay_s=0.02),
}


@pytest.mark.parametrize("stage", ["plan", "code", "review"])
async def test_cancel_in_each_stage_stops_the_model_and_edits_nothing(
    start_client: StartClient, fake: FakeModelServer, stage
):
    script_stages(fake, **{stage: SLOW[stage]})
    client = await start_client(capabilities=CAN_APPLY)
    open_document(client, DOCUMENT)
    request_id, outcome = generate(client, lsp_range((4, 0), (5, 0)))
    await client.wire.wait_for(
        lambda: sum(b["stage"] == stage for b in client.wire.batches("g")) >= 3
    )
    client.cancel(request_id)
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.code == REQUEST_CANCELLED
    request = fake.requests[-1]
    await fake.wait_disconnect(request, timeout=2)
    assert not request.finished
    client.wire.assert_nothing_after_response(request_id, "g")
    assert client.wire.progress("g")[-1] == {"kind": "end", "message": "Cancelled"}
    assert client.wire.applied_edits() == []
    count = len(client.wire.events)
    await asyncio.sleep(0.2)
    assert len(client.wire.events) == count  # nothing after the response


async def test_cancel_after_apply_edit_was_sent_returns_the_result(start_client: StartClient, fake):
    script_stages(fake)
    client = await start_client(capabilities=CAN_APPLY)
    client.apply_edit_gate = asyncio.Event()
    open_document(client, DOCUMENT)
    request_id, outcome = generate(client, lsp_range((4, 0), (5, 0)))
    await client.wire.wait_for(client.wire.applied_edits)
    client.cancel(request_id)
    client.cancel_progress("g")
    await asyncio.sleep(0.1)  # let both cancels reach the server while it waits
    client.apply_edit_gate.set()
    result = await outcome
    assert result["applied"] is True and result["code"] == CODE_TEXT
    assert client.wire.progress("g")[-1] == {"kind": "end", "message": "Done"}
    client.wire.assert_nothing_after_response(request_id, "g")


@pytest.mark.parametrize("stage", ["plan", "code", "review"])
@pytest.mark.parametrize(
    ("failure", "kind"),
    [(Script(status=500, error="GPU on fire"), "backendError"),
     (Script(chunks=["```\na\n", "b\n", "c"], error_after=2), "streamError")],
)  # fmt: skip
async def test_model_errors_name_the_stage(start_client: StartClient, fake, stage, failure, kind):
    script_stages(fake, **{stage: failure})
    client = await start_client(capabilities=CAN_APPLY)
    open_document(client, DOCUMENT)
    request_id, outcome = generate(client, lsp_range((4, 0), (5, 0)))
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    error = excinfo.value
    assert error.code == REQUEST_FAILED
    assert error.data["kind"] == kind and error.data["stage"] == stage
    assert client.wire.applied_edits() == []
    client.wire.assert_nothing_after_response(request_id, "g")
    if kind == "streamError" and stage != "code":
        assert error.data["partialText"] == "```\na\nb\n"


async def test_an_answer_without_code_is_an_error_not_an_empty_edit(start_client, fake):
    script_stages(fake, code=Script(chunks=["I am not able to help with that request."]))
    client = await start_client(capabilities=CAN_APPLY)
    open_document(client, DOCUMENT)
    _, outcome = generate(client, lsp_range((4, 0), (5, 0)))
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.code == REQUEST_FAILED
    assert excinfo.value.data["kind"] == "noCode" and excinfo.value.data["stage"] == "code"
    assert "not able to help" in excinfo.value.message
    assert client.wire.applied_edits() == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"range": lsp_range((40, 0))}, "range"),
        ({"range": lsp_range((4, 99))}, "range"),
        ({"range": lsp_range((4, 5), (4, 1))}, "range"),
        ({"range": lsp_range((-1, 0))}, "range.start"),
        ({"range": {"start": {"line": 0}}}, "range.start.character"),
        ({"uri": "file:///elsewhere/x.py"}, "uri"),
        ({"instruction": "  "}, "instruction"),
        ({"instruction": 3}, "instruction"),
        ({"maxRevisions": -1}, "maxRevisions"),
        ({"maxRevisions": 99}, "maxRevisions"),
        ({"apply": "yes"}, "apply"),
    ],
)
async def test_invalid_arguments_name_the_field(start_client: StartClient, fake, change, field):
    client = await start_client(capabilities=CAN_APPLY)
    open_document(client, DOCUMENT)
    argument = {"uri": DOCUMENT_URI, "range": lsp_range((0, 0)), "instruction": "x", **change}
    _, outcome = client.send_command(Command.GENERATE_CODE, argument)
    with pytest.raises(JsonRpcException) as excinfo:
        await outcome
    assert excinfo.value.code == INVALID_PARAMS
    assert excinfo.value.data == {"field": field}
    assert fake.requests == []


async def test_positions_use_the_negotiated_encoding(start_client: StartClient, fake):
    script_stages(fake, code=Script(chunks=["```\n'✓'\n```"]))
    capabilities = lsp.ClientCapabilities(
        general=lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf8]),
        workspace=lsp.WorkspaceClientCapabilities(apply_edit=True),
    )
    client = await start_client(capabilities=capabilities)
    document = "é = '🎉'; x = 1\n"
    open_document(client, document)
    # In UTF-8 bytes: `é = ` is 5, `'🎉'` is 6 more.
    result = await generate(client, lsp_range((0, 5), (0, 11)))[1]
    assert "replaces:\n```python\n'🎉'\n```" in fake.requests[0].last_user_message
    assert result["edit"]["documentChanges"][0]["edits"][0] == {
        "range": lsp_range((0, 5), (0, 11)),
        "newText": "'✓'",
    }


async def test_the_server_advertises_the_command_and_incremental_sync(
    start_client: StartClient, fake
):
    """pygls would advertise `openClose` only with its own didOpen/didClose handlers."""
    client = await start_client()
    capabilities = client.server_capabilities
    assert capabilities is not None and capabilities.execute_command_provider is not None
    assert "ollama.generateCode" in capabilities.execute_command_provider.commands
    sync = capabilities.text_document_sync
    assert isinstance(sync, lsp.TextDocumentSyncOptions)
    assert sync.open_close is True and sync.change == lsp.TextDocumentSyncKind.Incremental


async def test_a_client_that_cannot_apply_edits_gets_the_edit_and_the_reason(
    start_client: StartClient, fake
):
    script_stages(fake)
    client = await start_client()  # no workspace.applyEdit capability
    open_document(client, DOCUMENT)
    result = await generate(client, lsp_range((4, 0), (5, 0)))[1]
    assert result["applied"] is False and "workspace/applyEdit" in result["failureReason"]
    assert client.wire.applied_edits() == []
    assert "raise ValueError('empty')" in apply(DOCUMENT, result["edit"])
