"""`ollama.generateCode` on the real small model (embedded backend), end to end: the structure
of the run — stages, streamed code, an edit, errors that fit — never the model's wisdom."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from ollama_lsp.server.protocol import REQUEST_FAILED, Command
from tests.lsp_helpers import StartClient, apply, code_text, lsp_range, open_document, stage_reports
from tests.real_model import SHORT, real_model_path
from tests.support import SERVER_COMMAND

pytestmark = pytest.mark.real_model

URI = "file:///project/calc.py"
DOCUMENT = "def add(a, b):\n    return a + b\n\n"
IS_EVEN = "write a function is_even(n) that returns True when n is even"


async def test_generate_code_on_the_real_model(start_client: StartClient):
    real_model_path()
    capabilities = lsp.ClientCapabilities(
        workspace=lsp.WorkspaceClientCapabilities(apply_edit=True)
    )
    client = await start_client({"backend": "embedded"}, capabilities=capabilities)
    open_document(client, DOCUMENT, uri=URI)
    argument = {
        "uri": URI,
        "range": lsp_range((3, 0)),
        "instruction": "write a function sub(a, b) that returns a minus b",
        "options": SHORT,
        "maxRevisions": 0,  # at most three bounded model calls: plan, code, review
    }
    request_id, outcome = client.send_command(Command.GENERATE_CODE, argument, token="g")
    result = await asyncio.wait_for(outcome, 600)

    assert [stage for stage, _, _ in stage_reports(client, "g")] == ["plan", "code", "review"]
    assert client.wire.text("g", stage="plan") == result["plan"] != ""
    assert code_text(client, "g", 0) == result["code"] != ""
    assert result["revisions"] == 0 and isinstance(result["review"], str)
    client.wire.assert_nothing_after_response(request_id, "g")
    (sent,) = client.wire.applied_edits()
    assert sent["edit"] == result["edit"] and result["applied"] is True
    assert result["edit"]["documentChanges"][0]["textDocument"] == {"uri": URI, "version": 1}
    edited = apply(DOCUMENT, result["edit"])
    assert edited.startswith(DOCUMENT) and len(edited) > len(DOCUMENT)


async def test_a_prompt_too_long_for_the_context_says_what_to_shorten(start_client: StartClient):
    real_model_path()
    client = await start_client({"backend": "embedded", "embedded": {"contextSize": 256}})
    lines = [f"    total += values[{i}] * weights[{i}]  # step {i}\n" for i in range(60)]
    document = "def score(values, weights):\n    total = 0\n" + "".join(lines)
    open_document(client, document, uri=URI)
    argument = {
        "uri": URI,
        "range": lsp_range((2, 0), (62, 0)),
        "instruction": "turn this into a loop",
        "options": SHORT,
    }
    _, outcome = client.send_command(Command.GENERATE_CODE, argument, token="g")
    with pytest.raises(JsonRpcException) as excinfo:
        await asyncio.wait_for(outcome, 300)
    error = excinfo.value
    assert error.code == REQUEST_FAILED and error.data["stage"] == "plan"
    assert "does not fit the embedded model's context" in error.message
    for fix in ("shorten the selection", "`ollama.codegen.contextChars`", "larger context"):
        assert fix in error.message
    assert "conversation" not in error.message  # generateCode has none


async def test_the_terminal_generate_finishes_with_an_edit_on_the_default_model(tmp_path: Path):
    """`ollama-lsp generate` as a user runs it on the embedded default (its default sampling,
    review and revision): it must finish — the plan and review used to loop until the context
    was full — and write an edit; what the 135M model writes is not judged."""
    real_model_path()
    source = tmp_path / "app.py"
    original = "import os\n\n\ndef main():\n    pass\n"
    source.write_text(original)
    process = await asyncio.create_subprocess_exec(
        *SERVER_COMMAND, "generate", "app.py:2", IS_EVEN, "--backend", "embedded", "--apply",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 900)
    err = stderr.decode()
    assert process.returncode == 0, err
    markers = re.findall(r"^\[(Planning|Writing code|Reviewing|Revising \(1\))…\]$", err, re.M)
    assert markers[:3] == ["Planning", "Writing code", "Reviewing"]
    assert markers[3:] in ([], ["Revising (1)", "Reviewing"])
    assert err.rstrip().endswith("[applied to app.py]")
    edited = source.read_text()
    assert stdout.decode().strip() and edited != original
    assert edited.startswith("import os\n") and edited.rstrip().endswith("def main():\n    pass")
