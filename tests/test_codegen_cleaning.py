"""Cleaning real shapes of model output into code, and fitting code into the document."""

from __future__ import annotations

import pytest

from ollama_lsp.agents.codegen.cleaning import CodeExtractor, extract_code, fit_code, strip_prose

#: (model answer, document language, expected code)
ANSWERS = [
    pytest.param(
        "Here is the function:\n\n```python\ndef parse(s):\n    return int(s)\n```\n\n"
        "It converts the string with `int`.",
        "python",
        "def parse(s):\n    return int(s)",
        id="prose-fence-explanation",
    ),
    pytest.param("```\nx = 1\n```", "python", "x = 1", id="untagged-fence"),
    pytest.param(
        "```py\n\n\nimport os\n\n\nprint(os.sep)\n\n```",
        "python",
        "import os\n\n\nprint(os.sep)",
        id="blank-lines-around-and-inside",
    ),
    pytest.param(
        "Install it first:\n```bash\npip install dateutil\n```\nThen:\n```python\n"
        "from dateutil import parser\n```\nDone.",
        "python",
        "from dateutil import parser",
        id="other-language-block-first",
    ),
    pytest.param(
        "```js\nconsole.log(1)\n```\nor\n```ts\nlet a: number = 1\n```",
        "python",
        "console.log(1)",
        id="no-matching-block-takes-the-first",
    ),
    pytest.param(
        "```python\na = 1\n```\n```python\nb = 2\n```", "python", "a = 1", id="two-blocks"
    ),
    pytest.param(
        "```typescript\nconst a = 1;\n```", "typescriptreact", "const a = 1;", id="tag-alias"
    ),
    pytest.param(
        "```{.python title='x.py'}\npass\n```", "python", "pass", id="tag-with-attributes"
    ),
    pytest.param(
        "Sure! Here is the updated code.\r\n```python\r\nif a:\r\n    b()\r\n```\r\n"
        "This calls b when a is set.\r\n",
        "python",
        "if a:\n    b()",
        id="crlf",
    ),
    pytest.param("```go\nfunc f() {\n\treturn\n}\n```", "go", "func f() {\n\treturn\n}", id="tabs"),
    pytest.param(
        "````markdown\nUse ```code``` like this\n````",
        "markdown",
        "Use ```code``` like this",
        id="longer-fence",
    ),
    pytest.param("   ```python\n   x = 1\n   ```", "python", "   x = 1", id="indented-fence"),
    pytest.param("```rust\nfn main() {}", "rust", "fn main() {}", id="unclosed-fence"),
    pytest.param(
        "Here is the function you asked for.\n\ndef f(x):\n    return x * 2\n\n"
        "This doubles the value of x.",
        "python",
        "def f(x):\n    return x * 2",
        id="no-fences-with-prose",
    ),
    pytest.param(
        "def f(x):\n    return x * 2\n", "python", "def f(x):\n    return x * 2", id="bare-code"
    ),
    pytest.param(
        "# Validate the input.\nif not s:\n    raise ValueError('empty')",
        "python",
        "# Validate the input.\nif not s:\n    raise ValueError('empty')",
        id="comment-is-not-prose",
    ),
    pytest.param("I cannot help with that request.", "python", "", id="only-prose"),
]


@pytest.mark.parametrize(("answer", "language", "code"), ANSWERS)
def test_extract_code(answer: str, language: str, code: str):
    assert extract_code(answer, language) == code


@pytest.mark.parametrize(("answer", "language", "code"), ANSWERS)
@pytest.mark.parametrize("piece", [1, 2, 3, 7])
def test_streamed_extraction_releases_the_same_code(answer, language, code, piece):
    """Deltas split anywhere (inside \\r\\n, inside a fence) release exactly the code."""
    extractor = CodeExtractor(language)
    released = [extractor.feed(answer[i : i + piece]) for i in range(0, len(answer), piece)]
    released.append(extractor.finish())
    assert "".join(released) == extractor.code == code


def test_code_streams_while_prose_before_the_fence_is_held_back():
    extractor = CodeExtractor("python")
    assert extractor.feed("Here is ") == ""
    assert extractor.feed("the code:\n```python\n") == ""
    assert extractor.feed("def f():\n") == "def f():"  # the break waits for the next line
    assert extractor.feed("    ret") == "\n    ret"
    assert extractor.feed("urn 1\n") == "urn 1"
    assert extractor.feed("``") == ""  # could be the closing fence
    assert extractor.feed("`\nThis explains it.") == ""
    assert extractor.finish() == ""
    assert extractor.code == "def f():\n    return 1"


def test_answer_without_fences_appears_only_at_the_end():
    extractor = CodeExtractor("python")
    assert extractor.feed("x = 1\n") == ""
    assert extractor.feed("y = 2") == ""
    assert extractor.finish() == "x = 1\ny = 2"


def test_strip_prose_keeps_code_lines_that_look_like_words():
    assert strip_prose("return value.") == "return value."
    assert strip_prose("The result is:\nSELECT a FROM t WHERE b = 1;\n") == (
        "SELECT a FROM t WHERE b = 1;"
    )


def _fit(document: str, selected: str, code: str, *, cursor: bool = False) -> str:
    """Put `code` in place of `selected` (or at the `|` in `document` when `cursor`)."""
    if cursor:
        start = end = document.index("|")
        document = document.replace("|", "")
    else:
        start = document.index(selected)
        end = start + len(selected)
    return document[:start] + fit_code(code, document, start, end) + document[end:]


def test_replacing_whole_lines_keeps_indentation_and_the_final_break():
    document = "class A:\n    def f(self):\n        return 1\n\nx = 2\n"
    code = "def f(self):\n    if self.ok:\n        return 2\n    return 1"
    result = _fit(document, "    def f(self):\n        return 1\n", code)
    assert result == (
        "class A:\n    def f(self):\n        if self.ok:\n            return 2\n"
        "        return 1\n\nx = 2\n"
    )


def test_selection_after_indentation_indents_only_the_following_lines():
    document = "def f():\n    a = 1\n    b = 2\n"
    result = _fit(document, "a = 1", "a = 10\nc = 3")
    assert result == "def f():\n    a = 10\n    c = 3\n    b = 2\n"


def test_model_indentation_is_dedented_first():
    document = "if x:\n    pass\n"
    result = _fit(document, "    pass\n", "        y = 1\n        z = 2\n")
    assert result == "if x:\n    y = 1\n    z = 2\n"


def test_insert_at_a_cursor_on_a_blank_line_borrows_the_indentation_above():
    document = "def f():\n    a = 1\n|\n"
    result = _fit(document, "", "b = 2\nreturn a + b", cursor=True)
    assert result == "def f():\n    a = 1\n    b = 2\n    return a + b\n"


def test_insert_on_a_blank_line_between_two_functions_is_at_their_level():
    document = "def first():\n    return 1\n\n|\n\ndef last():\n    return 2\n"
    result = _fit(document, "", "def middle():\n    return 3", cursor=True)
    assert result == (
        "def first():\n    return 1\n\ndef middle():\n    return 3\n\ndef last():\n    return 2\n"
    )


def test_insert_after_a_blank_line_inside_a_body_keeps_the_body_level():
    document = "def f():\n    a = 1\n\n|\n    return a\n"
    result = _fit(document, "", "b = 2", cursor=True)
    assert result == "def f():\n    a = 1\n\n    b = 2\n    return a\n"


def test_insert_at_the_end_of_a_line_starts_a_new_line():
    result = _fit("x = 1|\ny = 2\n", "", "z = 3", cursor=True)
    assert result == "x = 1\nz = 3\ny = 2\n"


@pytest.mark.parametrize("line", ["    |return x", "|    return x", "  |  return x"])
def test_insert_before_code_on_a_line_ends_with_a_line_break(line: str):
    result = _fit(f"if x:\n{line}\n", "", "x += 1\nprint(x)", cursor=True)
    assert result == "if x:\n    x += 1\n    print(x)\n    return x\n"


def test_crlf_document_gets_crlf_code():
    document = "def f():\r\n    a = 1\r\n    b = 2\r\n"
    result = _fit(document, "    a = 1\r\n", "a = 1\nif a:\n    a += 1")
    assert result == "def f():\r\n    a = 1\r\n    if a:\r\n        a += 1\r\n    b = 2\r\n"


def test_tab_indented_document_gets_tabs():
    document = "func main() {\n\tx := 1\n|\n}\n"
    code = "if x > 0 {\n    fmt.Println(x)\n}"
    result = _fit(document, "", code, cursor=True)
    assert result == "func main() {\n\tx := 1\n\tif x > 0 {\n\t\tfmt.Println(x)\n\t}\n}\n"


def test_tabs_from_the_model_become_the_document_spaces():
    document = "def f():\n  a = 1\n  |\n"
    result = _fit(document, "", "if a:\n\tb()", cursor=True)
    assert result == "def f():\n  a = 1\n  if a:\n    b()\n"


def test_unicode_text_is_kept():
    document = "s = '🎉'\n|\n"
    result = _fit(document, "", "t = '中文 👩‍💻'", cursor=True)
    assert result == "s = '🎉'\nt = '中文 👩‍💻'\n"
