"""From a model's answer to the text that goes into the document.

Two steps. `CodeExtractor` picks the code out of the answer while it streams: the first fenced
block tagged with no language or with the document's language (else the first block); without
fences, the whole answer minus the plain sentences around it. It releases code only once it is
known to be code, so prose before a fence never reaches the editor. `fit_code` then fits the
extracted code into the document: indentation, line endings, line breaks at the edges.
"""

from __future__ import annotations

import re
import textwrap

#: Fence tags models use for an LSP language id, besides the id itself.
LANGUAGE_ALIASES: dict[str, frozenset[str]] = {
    "python": frozenset({"py", "python3", "py3"}),
    "javascript": frozenset({"js", "node", "mjs", "cjs"}),
    "javascriptreact": frozenset({"jsx", "js", "javascript"}),
    "typescript": frozenset({"ts"}),
    "typescriptreact": frozenset({"tsx", "ts", "typescript"}),
    "shellscript": frozenset({"sh", "bash", "shell", "zsh"}),
    "cpp": frozenset({"c++", "cc", "cxx", "hpp"}),
    "c": frozenset({"h"}),
    "csharp": frozenset({"cs", "c#"}),
    "rust": frozenset({"rs"}),
    "ruby": frozenset({"rb"}),
    "go": frozenset({"golang"}),
    "kotlin": frozenset({"kt", "kts"}),
    "markdown": frozenset({"md"}),
    "yaml": frozenset({"yml"}),
    "plaintext": frozenset({"text", "txt"}),
}

_OPENING_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*)$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_WORD = re.compile(r"[^\W\d_]{2,}")


class NoCodeError(Exception):
    """The model answered, but nothing in the answer is code."""


def tag_matches(info: str, language: str) -> bool:
    """Whether a fence's info string (`python`, `{.py}`, `ts title="a.ts"`) names `language`."""
    words = info.strip().split()
    tag = words[0].strip("{}.").lower() if words else ""
    language = language.lower()
    return tag in ("", language) or tag in LANGUAGE_ALIASES.get(language, ())


class CodeExtractor:
    """Feed it the answer's deltas; it returns the code deltas as soon as they are certain.

    Inside the chosen block a line is released once it cannot be the closing fence; blank lines
    and line breaks are held until more code follows, so the code never starts or ends with a
    blank line. Line breaks come out as `\\n`, whatever the model wrote.
    """

    def __init__(self, language: str) -> None:
        self._language = language
        self._raw: list[str] = []  # the whole answer, for an answer without fences
        self._carry_cr = False  # a delta ended in \r: maybe the first half of \r\n
        self._line = ""  # the current line, not released yet
        self._fence: str | None = None  # the fence of the block being read
        self._found = False  # the chosen block has begun
        self._done = False  # the chosen block has ended
        self._first_block: list[str] | None = None  # lines of the first block, the fallback
        self._block: list[str] = []  # lines of the block being read, when not the chosen one
        self._started = False  # some code went out
        self._line_released = False  # the current line went out in part already
        self._breaks_held = 0
        self._released: list[str] = []

    @property
    def code(self) -> str:
        """Everything released so far."""
        return "".join(self._released)

    @property
    def block_closed(self) -> bool:
        """The chosen block's closing fence has come: the rest of the answer is not code."""
        return self._found and self._done

    def feed(self, text: str) -> str:
        self._raw.append(text)
        if self._carry_cr:
            text, self._carry_cr = "\r" + text, False
        if text.endswith("\r"):
            text, self._carry_cr = text[:-1], True
        out: list[str] = []
        for i, part in enumerate(_LINE_BREAK.split(text)):
            if i:
                self._end_line(out)
            self._line += part
            self._release_partial(out)
        return self._release(out)

    def finish(self) -> str:
        """The answer ended: release what only the end can tell."""
        out: list[str] = []
        if self._carry_cr:
            self._carry_cr = False
            self._end_line(out)
        line, self._line = self._line, ""
        if self._found and not self._done:
            if line.strip() and not self._is_closing(line):
                out.append(self._held_breaks() + line)
        elif self._fence is not None:
            if line:
                self._block.append(line)
            if self._first_block is None:
                self._first_block = self._block  # an unclosed block is still a block
        self._done = True
        if not self._found:
            if self._first_block is not None:
                out.append(_trim_blank_lines("\n".join(self._first_block)))
            else:
                out.append(strip_prose("".join(self._raw)))
        return self._release(out)

    def _release(self, out: list[str]) -> str:
        text = "".join(out)
        self._released.append(text)
        return text

    def _held_breaks(self) -> str:
        breaks = "\n" * self._breaks_held if self._started else ""
        self._breaks_held = 0
        self._started = True
        return breaks

    def _release_partial(self, out: list[str]) -> None:
        """In the chosen block, release the current line once it cannot be the closing fence."""
        if not self._found or self._done or not self._line:
            return
        if self._line_released:
            out.append(self._line)
        elif self._line.strip() and not self._could_be_closing(self._line):
            out.append(self._held_breaks() + self._line)
            self._line_released = True
        else:
            return
        self._line = ""

    def _end_line(self, out: list[str]) -> None:
        line, self._line = self._line, ""
        released, self._line_released = self._line_released, False
        if self._done:
            return
        if self._found:
            if released:
                self._breaks_held = 1
            elif self._is_closing(line):
                self._done = True
            elif line.strip():
                out.append(self._held_breaks() + line)
                self._breaks_held = 1
            elif self._started:
                self._breaks_held += 1  # a blank line inside the code
            return
        if self._fence is not None:  # in a block that is not the code (not yet, at least)
            if not self._is_closing(line):
                self._block.append(line)
                return
            if self._first_block is None:
                self._first_block = self._block
            self._fence, self._block = None, []
            return
        if (match := _OPENING_FENCE.match(line)) is not None:
            self._fence = match["fence"]
            self._found = tag_matches(match["info"], self._language)

    def _is_closing(self, line: str) -> bool:
        assert self._fence is not None
        return self._could_be_closing(line) and len(line.strip()) >= len(self._fence)

    def _could_be_closing(self, line: str) -> bool:
        assert self._fence is not None
        stripped = line.strip()
        return stripped == self._fence[0] * len(stripped)


def extract_code(answer: str, language: str) -> str:
    """The code in a complete answer (what `CodeExtractor` releases in total)."""
    extractor = CodeExtractor(language)
    extractor.feed(answer)
    extractor.finish()
    return extractor.code


def is_sentence(line: str) -> bool:
    """A line of prose ("Here is the function:"), not code: words, then closing punctuation."""
    text = line.strip().strip("*_").strip()
    if not text or not (text[0].isupper() or text[0].isdigit()):
        return False
    if text[-1] not in ".:!?)" or any(c in text for c in ';{}=<>[]"') or text.endswith("):"):
        return False
    return len(_WORD.findall(text)) >= 3 and text.count(" ") >= 2


def strip_prose(answer: str) -> str:
    """An answer without fences, minus the blank lines and plain sentences around the code."""
    lines = _LINE_BREAK.split(answer)
    while lines and (not lines[0].strip() or is_sentence(lines[0])):
        lines.pop(0)
    while lines and (not lines[-1].strip() or is_sentence(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def _trim_blank_lines(text: str) -> str:
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


# --- fitting the code into the document -------------------------------------------------------


def line_ending(text: str) -> str:
    """The document's line break (its first one; `\\n` for a one-line document)."""
    match = _LINE_BREAK.search(text)
    return match.group() if match else "\n"


def fit_code(code: str, document: str, start: int, end: int) -> str:
    """The `newText` that puts `code` at `document[start:end]`.

    Dedents the code, then indents every line but the first like the line at `start` (a blank
    line borrows it from its neighbours, see `_reference_indent`); the first line gets
    whatever indentation the text before `start` on its line lacks. Uses the document's line
    endings and its tabs-or-spaces. The text ends with a line break only if the selection did;
    an insertion (empty range) next to other text on its line adds the line breaks it needs.
    """
    eol = line_ending(document)
    line_start = _line_start(document, start)
    indent = _reference_indent(document, line_start)
    code = _trim_blank_lines(textwrap.dedent(code.replace("\r\n", "\n")))
    lines = _match_indent_style(code.split("\n"), indent, document)
    before = document[line_start:start]
    after = document[end : _line_end(document, end)]
    first = lines[0]
    if not before.strip() and indent.startswith(before):
        first = indent[len(before) :] + first
    body = [first, *(indent + line if line.strip() else "" for line in lines[1:])]
    text = eol.join(body)
    if start == end:
        if before.strip():
            text = eol + indent + lines[0] + text[len(first) :]
        if after.strip():  # the rest of the line moves below, keeping the indentation
            text += eol + indent[: max(0, len(indent) - len(_leading_whitespace(after)))]
    elif _LINE_BREAK.fullmatch(_last_break(document[start:end])):
        text += eol
    return text


def _last_break(selected: str) -> str:
    for ending in ("\r\n", "\n", "\r"):
        if selected.endswith(ending):
            return ending
    return ""


def _line_start(text: str, offset: int) -> int:
    return max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1


def _line_end(text: str, offset: int) -> int:
    match = _LINE_BREAK.search(text, offset)
    return match.start() if match else len(text)


def _leading_whitespace(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _reference_indent(document: str, line_start: int) -> str:
    """Indentation of the line at `line_start`; for a blank line, of the nearest non-blank line
    above — unless blank lines part it from that line and the next non-blank line below is
    indented less: then the cursor sits between two blocks (say, between two functions) and the
    code belongs at the level of the one below."""
    current = document[line_start : _line_end(document, line_start)]
    if current.strip():
        return _leading_whitespace(current)
    above = _LINE_BREAK.split(document[:line_start])[:-1]
    below = _LINE_BREAK.split(document[line_start:])[1:]
    nearest_above = next((line for line in reversed(above) if line.strip()), "")
    nearest_below = next((line for line in below if line.strip()), None)
    indent = _leading_whitespace(nearest_above)
    parted = bool(above) and not above[-1].strip()
    if parted and nearest_below is not None:
        below_indent = _leading_whitespace(nearest_below)
        if len(below_indent) < len(indent):
            return below_indent
    return indent


def _match_indent_style(lines: list[str], indent: str, document: str) -> list[str]:
    """Re-indent with tabs where the document indents with tabs, and vice versa."""
    doc_uses_tabs = indent.startswith("\t") or (not indent and _indented_with_tabs(document))
    widths = [len(_leading_whitespace(line)) for line in lines if line.startswith(" ")]
    if doc_uses_tabs and widths and not any(line.startswith("\t") for line in lines):
        unit = min(widths)
        return [_reindent(line, " " * unit, "\t") for line in lines]
    if not doc_uses_tabs and any(line.startswith("\t") for line in lines):
        unit = _space_unit(document)
        return [_reindent(line, "\t", " " * unit) for line in lines]
    return lines


def _reindent(line: str, old_unit: str, new_unit: str) -> str:
    lead = _leading_whitespace(line)
    levels, rest = 0, lead
    while rest.startswith(old_unit):
        levels, rest = levels + 1, rest[len(old_unit) :]
    return new_unit * levels + rest + line[len(lead) :]


def _indented_with_tabs(document: str) -> bool:
    leads = [line[0] for line in _LINE_BREAK.split(document) if line[:1] in ("\t", " ")]
    return bool(leads) and leads.count("\t") > len(leads) / 2


def _space_unit(document: str) -> int:
    widths = [
        len(_leading_whitespace(line))
        for line in _LINE_BREAK.split(document)
        if line.startswith(" ") and line.strip()
    ]
    return min(widths) if widths else 4
