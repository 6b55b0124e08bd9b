"""What the code workflow works on (the instruction and the code around the selection), and
the stages it goes through."""

from __future__ import annotations

from typing import Any, Literal

import attrs

#: The workflow's stages in the order they first run; each revision runs `code` and `review`
#: again. Here, not in `graph`, so that naming a stage does not import LangGraph.
Stage = Literal["plan", "code", "review"]


@attrs.frozen
class CodegenJob:
    instruction: str
    #: The document's LSP language id (`python`, `typescriptreact`, ...).
    language: str
    file_name: str
    #: The selected text; empty for a cursor.
    selection: str
    #: Code just before and just after the selection (`codegen.contextChars` in all).
    before: str
    after: str
    model: str
    review: bool = True
    max_revisions: int = 1
    #: Generation options for every stage, in the protocol's camelCase (`temperature`, ...).
    options: dict[str, Any] = attrs.field(factory=dict)


def surrounding_code(text: str, start: int, end: int, budget: int) -> tuple[str, str]:
    """Up to `budget` characters around `text[start:end]`: two thirds before, a third after,
    cut at line boundaries so the model never sees half a line."""
    before_budget = budget * 2 // 3
    before = text[max(0, start - before_budget) : start]
    if start - before_budget > 0 and "\n" in before:
        before = before[before.index("\n") + 1 :]
    after = text[end : end + budget - len(before)]
    if end + len(after) < len(text) and "\n" in after:
        after = after[: after.rindex("\n") + 1]
    return before, after
