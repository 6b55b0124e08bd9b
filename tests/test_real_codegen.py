"""`ollama.generateCode` once on the real small model (embedded backend), end to end: the
structure of the run — stages, streamed code, an edit — never the model's wisdom."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types as lsp

from ollama_lsp.server.protocol import Command
from tests.lsp_helpers import StartClient, apply, code_text, lsp_range, open_document, stage_reports
from tests.real_model import SHORT, real_model_path

pytestmark = pytest.mark.real_model

URI = "file:///project/calc.py"
DOCUMENT = "def add(a, b):\n    return a + b\n\n"


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
