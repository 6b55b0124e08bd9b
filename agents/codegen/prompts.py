"""The prompts of the plan → code → review → revise workflow, and the review's verdict format.

Every prompt names the instruction and the file's language; plan and code (and revise) also see
the selection and the code around it; review sees instruction, plan and code. Each user message
starts with its stage's task line, which also lets tests script each stage on its own.
"""

from __future__ import annotations

import logging

from ollama_lsp.agents.backends.base import Message

from .job import CodegenJob

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are a careful senior programmer working inside the user's code editor. "
    "You follow the instruction exactly, keep the surrounding code's style, and never invent "
    "APIs."
)

PLAN_TASK = "Task: plan the change."
CODE_TASK = "Task: write the code."
REVIEW_TASK = "Task: review the code."
REVISE_TASK = "Task: revise the code."

APPROVE = "APPROVE"
PROBLEMS = "PROBLEMS:"


def plan_messages(job: CodegenJob) -> tuple[Message, ...]:
    return _messages(
        PLAN_TASK,
        _instruction(job),
        _where(job),
        "Write a short plan: 2 to 6 bullet points saying what the code will do and how. "
        "Do not write the code yet.",
    )


def code_messages(job: CodegenJob, plan: str) -> tuple[Message, ...]:
    return _messages(
        CODE_TASK,
        _instruction(job),
        _where(job),
        f"Plan:\n{plan.strip()}",
        _code_answer_rules(job),
    )


def review_messages(job: CodegenJob, plan: str, code: str) -> tuple[Message, ...]:
    return _messages(
        REVIEW_TASK,
        _instruction(job),
        f"Plan:\n{plan.strip()}",
        f"Code:\n{_fenced(code, job.language)}",
        "Does the code do what the instruction asks, correctly? Answer in exactly this format. "
        f"If it is right, the first line is `{APPROVE}` and nothing else matters. Otherwise the "
        f"first line is `{PROBLEMS}` and then one real problem per line (bugs, missed "
        "requirements — not style). Mention nothing else.",
    )


def revise_messages(
    job: CodegenJob, plan: str, code: str, problems: list[str]
) -> tuple[Message, ...]:
    listed = "\n".join(f"- {problem}" for problem in problems)
    return _messages(
        REVISE_TASK,
        _instruction(job),
        _where(job),
        f"Plan:\n{plan.strip()}",
        f"Your previous code:\n{_fenced(code, job.language)}",
        f"A review found these problems:\n{listed}",
        "Fix them. " + _code_answer_rules(job),
    )


def parse_verdict(review: str) -> list[str]:
    """The problems a review lists; none means approval.

    The first non-blank line decides: `APPROVE`, or `PROBLEMS:` with one problem per following
    line (or after the colon). Anything else counts as approval, and is logged.
    """
    lines = [line.strip() for line in review.splitlines() if line.strip()]
    if not lines:
        logger.warning("The review was empty; counting it as approval.")
        return []
    first = lines[0].strip("*#`_ ")
    if first.upper().startswith(APPROVE):
        return []
    if first.upper().startswith(PROBLEMS.rstrip(":")):
        inline = first[len(PROBLEMS) - 1 :].lstrip(":*` ").strip()
        problems = [inline] if inline else []
        problems += [line.lstrip("-*•0123456789.) ").strip() for line in lines[1:]]
        problems = [problem for problem in problems if problem]
        if not problems:
            logger.warning("The review said %s but listed none; counting it as approval.", PROBLEMS)
        return problems
    logger.warning("The review's first line is neither %s nor %s: %r", APPROVE, PROBLEMS, first)
    return []


def _messages(*parts: str) -> tuple[Message, ...]:
    return (Message("system", SYSTEM_PROMPT), Message("user", "\n\n".join(parts)))


def _instruction(job: CodegenJob) -> str:
    instruction = job.instruction.strip()
    return f"Instruction: {instruction}\nLanguage: {job.language} (file {job.file_name})"


def _where(job: CodegenJob) -> str:
    if job.selection:
        selected = _fenced(job.selection, job.language)
        target = f"The selected code, which your code replaces:\n{selected}"
        marked = f"{job.before}<<<SELECTION>>>{job.after}"
        marker = "<<<SELECTION>>> marks where the selection is"
    else:
        target = "Nothing is selected: your code is inserted at the cursor."
        marked = f"{job.before}<<<CURSOR>>>{job.after}"
        marker = "<<<CURSOR>>> marks the cursor"
    if not (job.before or job.after):
        return target
    return f"{target}\n\nThe code around it ({marker}):\n{_fenced(marked, job.language)}"


def _code_answer_rules(job: CodegenJob) -> str:
    what = "replaces the selection" if job.selection else "goes at the cursor"
    return (
        f"Answer with only the code that {what}, in one fenced block tagged `{job.language}`. "
        "Do not repeat the surrounding code. No explanations."
    )


def _fenced(code: str, language: str) -> str:
    fence = "````" if "```" in code else "```"
    return f"{fence}{language}\n{code.rstrip(chr(10))}\n{fence}"
