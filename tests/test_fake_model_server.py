"""The fake model server's fast line encoding gives exactly the bytes of the plain one."""

from __future__ import annotations

import pytest

from fake_model_server.dialect import json_bytes
from fake_model_server.ollama import delta_line

TEXTS = ["Hello", "", 'quote " and \\ backslash', "line\nbreak\ttab", "é 中文 🙂", "\u2028\x00\x1f"]


@pytest.mark.parametrize("kind", ["content", "thinking"])
@pytest.mark.parametrize("text", TEXTS)
def test_ollama_delta_line_is_the_json_of_its_dict(kind: str, text: str) -> None:
    message = {"role": "assistant", "content": ""}
    message[kind] = text
    line = {"model": 'm:"1"', "created_at": "2026-01-01T00:00:00Z", "message": message}
    expected = json_bytes({**line, "done": False}) + b"\n"
    assert delta_line('m:"1"', "2026-01-01T00:00:00Z", kind, text) == expected
