"""The stop rules of as-you-type completion, on outputs like a code model's, fed token by token,
and the fill-in-the-middle templates."""

from __future__ import annotations

import re

import pytest

from ollama_lsp.agents.completion import Cursor, SuggestionCutter
from ollama_lsp.agents.fim import PRESETS, UnknownTemplate, template_for


def tokens(text: str) -> list[str]:
    """Pieces the way a BPE model streams code: words, spaces and line ends apart."""
    return re.findall(r"\n|[ \t]+|\w+|[^\w\s]", text)


def run(prefix: str, suffix: str, output: str) -> tuple[str, int, bool]:
    """(the suggestion, how many tokens were read before the stream could close, complete)."""
    cutter = SuggestionCutter(Cursor.at(prefix, suffix))
    pieces = tokens(output)
    for read, piece in enumerate(pieces, 1):
        if cutter.feed(piece):
            return cutter.suggestion(), read, True
    cutter.finished_by_model()
    return cutter.suggestion(), len(pieces), False


def test_mid_line_ends_at_the_end_of_the_line_and_drops_the_repeated_rest():
    prefix = "def area(r):\n    return math.pi * "
    suffix = ")\n\nprint(area(2))\n"
    output = "r ** 2)\n\ndef perimeter(r):\n    return 2 * math.pi * r\n"
    suggestion, read, complete = run(prefix, suffix, output)
    assert complete and suggestion == "r ** 2"
    assert read == len(tokens("r ** 2)\n"))  # closed at the line end, not at the model's end


def test_block_at_an_empty_line_ends_when_the_indentation_returns():
    prefix = "import json\n\n\ndef load(path):\n    "
    suffix = "\n\n\ndef save(path, data):\n    pass\n"
    output = (
        "with open(path) as f:\n        return json.load(f)\n"
        "    return None\n\n\ndef other():\n    pass\n"
    )
    suggestion, read, complete = run(prefix, suffix, output)
    assert complete
    assert suggestion == "with open(path) as f:\n        return json.load(f)"
    # The stream could close at the first non-blank character of `    return None`.
    assert read == len(tokens("with open(path) as f:\n        return json.load(f)\n    return"))


def test_block_at_the_end_of_a_line_opens_a_body():
    prefix = "class Stack:\n    def push(self, item):"
    suffix = "\n\n    def pop(self):\n        return self.items.pop()\n"
    output = "\n        self.items.append(item)\n\n    def pop(self):\n        return x\n"
    suggestion, _, complete = run(prefix, suffix, output)
    assert complete and suggestion == "\n        self.items.append(item)"


def test_block_stops_when_it_repeats_the_code_below():
    prefix = "function total(items) {\n  let sum = 0;\n  "
    suffix = "\n  return sum;\n}\n"
    output = "for (const item of items) sum += item.price;\n  return sum;\n}\n"
    suggestion, _, complete = run(prefix, suffix, output)
    assert complete and suggestion == "for (const item of items) sum += item.price;"


def test_repeating_the_next_line_deeper_also_stops():
    prefix = "if ready:\n    "
    suffix = "\n    launch()\n"
    output = "check()\n    launch()\n    done()\n"
    suggestion, _, _ = run(prefix, suffix, output)
    assert suggestion == "check()"


def test_a_suggestion_that_only_repeats_the_next_line_is_empty():
    suggestion, _, _ = run("def f():\n    ", "\n    return 1\n", "return 1\n")
    assert suggestion == ""


def test_the_model_ending_keeps_everything_but_trailing_blanks():
    suggestion, _, complete = run("x = [", "", "1, 2, 3]\n\n\n")
    assert not complete and suggestion == "1, 2, 3]"


def test_a_cut_block_loses_its_partial_last_line():
    cutter = SuggestionCutter(Cursor.at("def f():\n    ", ""))
    for piece in tokens("if a:\n        b = compute("):
        assert not cutter.feed(piece)
    assert cutter.suggestion() == "if a:"  # the time cap or maxTokens hit here


def test_crlf_documents():
    prefix = "def f():\r\n    "
    suffix = "\r\n    return y\r\n"
    suggestion, _, complete = run(prefix, suffix, "y = 2\n    return y\n")
    assert complete and suggestion == "y = 2"


def test_tabs_indent_blocks_too():
    prefix = "func main() {\n\t"
    suffix = "\n}\n"
    output = "for i := 0; i < 3; i++ {\n\t\tfmt.Println(i)\n\t}\n}\n"
    suggestion, _, complete = run(prefix, suffix, output)
    assert complete and suggestion == "for i := 0; i < 3; i++ {\n\t\tfmt.Println(i)\n\t}"


@pytest.mark.parametrize(
    ("model", "preset"),
    [
        ("qwen2.5-coder:1.5b-base", "qwen2.5-coder"),
        ("Qwen/Qwen2.5-Coder-7B", "qwen2.5-coder"),
        ("codellama:7b-code", "codellama"),
        ("deepseek-coder:6.7b-base", "deepseek-coder"),
        ("starcoder2:3b", "starcoder"),
        ("bigcode/starcoder", "starcoder"),
        ("codegemma:2b", "codegemma"),
        ("codestral:22b", "codestral"),
    ],
)
def test_presets_are_chosen_by_model_name(model: str, preset: str):
    assert template_for(model).name == preset


def test_template_prompts():
    qwen = PRESETS["qwen2.5-coder"].prompt("a = {", "}")
    assert qwen == "<|fim_prefix|>a = {<|fim_suffix|>}<|fim_middle|>"
    assert PRESETS["codellama"].prompt("x", "y") == "<PRE> x <SUF>y <MID>"
    assert PRESETS["codestral"].prompt("x", "y") == "[SUFFIX]y[PREFIX]x"
    assert template_for("any", "none").prompt("x", "y") == "x"
    custom = template_for("any", "<A>{prefix}<B>{suffix}<C>")
    assert custom.prompt("{suffix}", "{prefix}") == "<A>{suffix}<B>{prefix}<C>"


def test_unknown_models_and_bad_templates_say_what_to_set():
    with pytest.raises(UnknownTemplate, match=r"completion\.fimTemplate"):
        template_for("llama3.2")
    with pytest.raises(UnknownTemplate, match="neither a preset"):
        template_for("qwen2.5-coder", "qwen")
