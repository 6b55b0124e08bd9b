"""Protocol classes on the wire: camelCase keys, optional fields absent when unset, `null` kept."""

from __future__ import annotations

from lsprotocol import types as lsp

from ollama_lsp.server.protocol import (
    ChatParams,
    ContextRef,
    GenerateCodeParams,
    InvalidParams,
    Progress,
    ProgressStageReport,
    RequestFailed,
    Timings,
    TokenBatch,
)


def test_optional_fields_are_absent_while_unset_and_other_nones_are_null() -> None:
    chat = TokenBatch(token="t", seq=0, stage="chat", kind="content", text="Hel")
    assert chat.to_wire() == {
        "token": "t",
        "seq": 0,
        "stage": "chat",
        "kind": "content",
        "text": "Hel",
    }
    code = TokenBatch(token=1, seq=3, stage="code", kind="content", text="x", revision=0)
    assert code.to_wire()["revision"] == 0
    assert Timings(first_token_ms=None, total_ms=2.0).to_wire() == {
        "firstTokenMs": None,
        "totalMs": 2.0,
    }


def test_defaults_are_left_out_and_nested_values_encoded() -> None:
    position = lsp.Position(line=1, character=2)
    params = GenerateCodeParams(
        uri="file:///a.py", range=lsp.Range(position, position), instruction="x", apply=False
    )
    assert params.to_wire() == {
        "uri": "file:///a.py",
        "range": {"start": {"line": 1, "character": 2}, "end": {"line": 1, "character": 2}},
        "instruction": "x",
        "apply": False,
    }
    chat = ChatParams(prompt="p", context=[ContextRef(uri="u")])
    assert chat.to_wire() == {"prompt": "p", "context": [{"uri": "u"}]}
    progress = Progress(token="t", value=ProgressStageReport(message="Planning…", stage="plan"))
    assert progress.to_wire() == {
        "token": "t",
        "value": {"kind": "report", "message": "Planning…", "stage": "plan"},
    }


def test_error_data() -> None:
    assert InvalidParams("bad", "context[0].uri").data == {"field": "context[0].uri"}
    assert RequestFailed("timeout", "slow").data == {"kind": "timeout"}
    failed = RequestFailed("streamDropped", "gone", partial_text="ab", stage="review")
    assert failed.data == {"kind": "streamDropped", "partialText": "ab", "stage": "review"}
