"""The repetition guard on real loops of the embedded model (SmolLM2-135M, collected from the
code workflow's plan and code stages on "write a function is_even(n) …"), and on code that is
legitimately repetitive, which must pass through untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from ollama_lsp.agents.repetition import RepetitionGuard


def real_loop(name: str) -> str:
    """A real answer, cut to its first 500 to 1,700 characters."""
    return (Path(__file__).parent / "data" / "smollm2-loops" / name).read_text()


LINE_LOOP = real_loop("line.txt")
SENTENCE_LOOP = real_loop("sentence.txt")
PARAGRAPH_LOOP = real_loop("paragraph.txt")


def stream(text: str, piece: int = 4) -> tuple[list[str], RepetitionGuard]:
    """Feed `text` in pieces of `piece` characters (about a token each) as a stream would, until
    the guard notices a loop; returns what it released at each step."""
    guard = RepetitionGuard()
    released = []
    for start in range(0, len(text), piece):
        released.append(guard.feed(text[start : start + piece]))
        if guard.looping:
            return released, guard
    released.append(guard.finish())
    return released, guard


def kept_of_loop(answer: str, piece: int) -> str:
    """What the guard lets through of a looping answer: always a beginning of it."""
    released, guard = stream(answer, piece)
    kept = "".join(released)
    assert guard.looping
    assert answer.startswith(kept)
    return kept


@pytest.mark.parametrize("piece", [1, 4, 9])
def test_a_repeated_line_is_kept_once(piece: int):
    assert kept_of_loop(LINE_LOOP, piece) == "* The code is already written.\n"


@pytest.mark.parametrize("piece", [1, 4, 9])
def test_a_repeated_paragraph_is_kept_once_with_what_came_before(piece: int):
    kept = kept_of_loop(PARAGRAPH_LOOP, piece)
    assert kept.startswith("```python\ndef is_even(n):")  # the code and the first sentence
    assert kept.count("The code is not optimized for performance") == 1
    assert kept.rstrip("\n").endswith("approach to check if a number is even.")


@pytest.mark.parametrize("piece", [1, 4, 9])
def test_a_loop_within_one_line_is_cut_after_its_first_occurrence(piece: int):
    kept = kept_of_loop(SENTENCE_LOOP, piece)
    # It wavered between two sentences, then settled on one: kept up to its first occurrence.
    assert "It is just a short plan. It is not a full plan. It is just a short plan." in kept
    assert "It is not a full plan. It is not a full plan." not in kept


def test_text_is_released_as_it_comes_when_nothing_repeats():
    guard = RepetitionGuard()
    assert guard.feed("def is_even(n):\n") == "def is_even(n):\n"
    assert guard.feed("    return n % 2") == "    return n % 2"
    assert guard.feed(" == 0\n") == " == 0\n"
    assert not guard.looping


def test_a_line_starting_like_an_earlier_one_is_held_until_it_differs():
    guard = RepetitionGuard()
    assert guard.feed("* check the input\n") == "* check the input\n"
    assert guard.feed("* check") == ""  # may be the start of a repeat
    assert guard.feed(" the output\n") == "* check the output\n"


ELIF_CHAIN = (
    "def grade(score):\n"
    + "".join(
        f"    {'elif' if i else 'if'} score >= {90 - 10 * i}:\n        return {chr(65 + i)!r}\n"
        for i in range(5)
    )
    + "    else:\n        return 'F'\n"
)
CONSTANTS = "".join(f"HTTP_{code} = {code}\n" for code in range(200, 230))
ZEROS = "TABLE = [\n" + "    0, 0, 0, 0, 0, 0, 0, 0,\n" * 64 + "]\n"
CLOSERS = "".join("    " * depth + "{\n" for depth in range(8)) + "".join(
    "    " * depth + "}\n" for depth in reversed(range(8))
)
SIMILAR_ASSERTS = "".join(f"    assert is_even({n}) is {n % 2 == 0}\n" for n in range(40))
RULERS = "# " + "-" * 76 + "\n" + "\n" * 20 + "# " + "=" * 76 + "\n"
MARKDOWN_TABLE = "| n | even |\n|---|---|\n" + "".join(
    f"| {n} | {n % 2 == 0} |\n" for n in range(30)
)


@pytest.mark.parametrize(
    "code",
    [ELIF_CHAIN, CONSTANTS, ZEROS, CLOSERS, SIMILAR_ASSERTS, RULERS, MARKDOWN_TABLE],
    ids=["elif", "constants", "zeros", "closers", "asserts", "rulers", "markdown-table"],
)
@pytest.mark.parametrize("piece", [1, 5])
def test_legitimately_repetitive_code_passes_through_whole(code: str, piece: int):
    released, guard = stream(code, piece)
    assert not guard.looping
    assert "".join(released) == code


def test_after_a_loop_nothing_more_is_released():
    _, guard = stream(LINE_LOOP)
    assert guard.looping
    assert guard.feed("more text\n") == "" and guard.finish() == ""
