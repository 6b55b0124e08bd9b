"""What the code workflow works on (the instruction and the code around the selection), and
the stages it goes through."""

from __future__ import annotations

from typing import Any, Literal

import attrs

from ollama_lsp.agents.backends.base import at_least

#: The workflow's stages in the order they first run; each revision runs `code` and `review`
#: again. Here, not in `graph`, so that naming a stage does not import LangGraph.
Stage = Literal["plan", "code", "review"]

#: The code stage's budget at a cursor with a short instruction: about 40 lines of code (the
#: `code` budget's doc says this figure to users).
CODE_TOKENS_BASE = 256


@attrs.frozen
class TokenBudgets:
    """`ollama.codegen.maxTokens`: the most tokens each stage may generate.

    Small models ramble or loop until the context is full (minutes on a CPU), and a plan that
    fills the context leaves no room for the code; a budget ends each stage in bounded time.
    """

    #: The plan asks for 2 to 6 bullet points (about 100 tokens).
    plan: int = attrs.field(default=256, metadata=at_least(16))
    #: The most for the code (about 100 lines). A task gets 256 tokens plus one per two
    #: characters of selection and instruction, up to this: a rewrite needs room for the
    #: selection and more.
    code: int = attrs.field(default=1024, metadata=at_least(16))
    #: A verdict and one line per problem.
    review: int = attrs.field(default=256, metadata=at_least(16))


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
    #: Generation options for every stage, in the protocol's camelCase (`temperature`, ...);
    #: a `numPredict` here overrides the stages' budgets.
    options: dict[str, Any] = attrs.field(factory=dict)
    budgets: TokenBudgets = attrs.field(factory=TokenBudgets)

    def token_budget(self, stage: Stage) -> int:
        """The most tokens `stage` may generate for this job."""
        if stage == "plan":
            return self.budgets.plan
        if stage == "review":
            return self.budgets.review
        task_chars = len(self.selection) + len(self.instruction)
        return min(self.budgets.code, CODE_TOKENS_BASE + task_chars // 2)

    def stage_options(self, stage: Stage) -> dict[str, Any]:
        """The generation options of one stage's model call: its budget, unless overridden."""
        return {"numPredict": self.token_budget(stage), **self.options}


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
