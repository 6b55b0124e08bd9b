"""Write docs/protocol.md's tables and client-vscode/src/protocol.ts from server/protocol.py.

    .venv/bin/python scripts/generate_protocol.py           # rewrite the generated parts
    .venv/bin/python scripts/generate_protocol.py --check   # exit 1 when they are stale

Descriptions come from the Python source: class docstrings, and the `#:` comments above fields,
enum members and constants. In docs/protocol.md only the blocks between
`<!-- generated: WHAT -->` and `<!-- end generated -->` are rewritten; WHAT is `methods`,
`types`, `errors`, `settings` (walks `Settings` of server/config.py), or names of protocol
classes to tabulate. Every class of the protocol must appear in some block.
"""

from __future__ import annotations

import argparse
import ast
import enum
import functools
import inspect
import json
import re
import sys
import textwrap
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import attrs

from ollama_lsp.server import protocol
from ollama_lsp.server.config import Settings
from ollama_lsp.server.structure import camel
from ollama_lsp.server.wire import Payload, default_of, is_optional

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "protocol.md"
TYPESCRIPT = ROOT / "client-vscode" / "src" / "protocol.ts"
COMMAND = ".venv/bin/python scripts/generate_protocol.py"

# --- What the protocol module declares, in source order ----------------------------------------

EXPORTED: dict[str, Any] = {name: getattr(protocol, name) for name in protocol.__all__}
NAMES = [name for name in vars(protocol) if name in EXPORTED]
PAYLOADS = [
    value
    for value in (EXPORTED[name] for name in NAMES)
    if isinstance(value, type) and issubclass(value, Payload) and value is not Payload
]
#: Module-level strings and numbers (`TOKEN_NOTIFICATION`, the error codes, ...).
CONSTANTS = [
    name
    for name in NAMES
    if isinstance(EXPORTED[name], str | int) and not isinstance(EXPORTED[name], bool)
]
#: Named types (`Stage = Literal[...] | ...`): shown by name wherever a field has that type.
ALIASES: dict[str, Any] = {
    name: value
    for name, value in ((name, EXPORTED[name]) for name in NAMES)
    if get_origin(value) in (Literal, typing.Union, types.UnionType)
}

# --- Descriptions from the source ----------------------------------------------------------------


@functools.cache
def _comments_of_file(path: str) -> dict[str | None, dict[str, str]]:
    """`#:` comments of a file: {class name or None for the module: {attribute: text}}."""
    source = Path(path).read_text()
    lines = source.splitlines()
    found: dict[str | None, dict[str, str]] = {}

    def collect(owner: str | None, body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and owner is None:
                collect(node.name, node.body)
            target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            if not isinstance(target, ast.Name):
                continue
            comment: list[str] = []
            line = node.lineno - 2
            while line >= 0 and lines[line].strip().startswith("#:"):
                comment.insert(0, lines[line].strip()[2:].strip())
                line -= 1
            if comment:
                found.setdefault(owner, {})[target.id] = " ".join(comment)

    collect(None, ast.parse(source).body)
    return found


def comments(owner: type | types.ModuleType) -> dict[str, str]:
    """The `#:` comments of a class's attributes or of a module's constants."""
    if isinstance(owner, types.ModuleType):
        return _comments_of_file(inspect.getfile(owner)).get(None, {})
    return _comments_of_file(inspect.getfile(owner)).get(owner.__name__, {})


def docstring(cls: type) -> str:
    """A class's own docstring as one paragraph ("" when it has none: never its base's)."""
    own = cls.__dict__.get("__doc__")
    return " ".join(inspect.cleandoc(own).split()) if own else ""


# --- Types as text ---------------------------------------------------------------------------


class TypeText:
    """Renders Python types as TypeScript-like text; `ts` for the .ts file, else for the docs."""

    def __init__(self, ts: bool) -> None:
        self.ts = ts
        #: LSP types met (imported from vscode-languageclient in the .ts file).
        self.lsp_names: set[str] = set()

    def __call__(self, tp: Any) -> str:
        for name, alias in ALIASES.items():
            if tp == alias:
                return name
        origin = get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            members = get_args(tp)
            if type(None) in members and len(members) > 2:  # `Alias | None`: keep the name
                rest = self(typing.Union[tuple(m for m in members if m is not type(None))])  # noqa: UP007
                return f"{rest} | null"
            return " | ".join(self(member) for member in members)
        if origin is Literal:
            return " | ".join(json.dumps(value) for value in get_args(tp))
        if origin is list:
            item = self(get_args(tp)[0])
            return f"({item})[]" if " | " in item else f"{item}[]"
        if origin is dict or tp is dict:
            return "Record<string, unknown>" if self.ts else "object"
        if tp is Any:
            return "unknown" if self.ts else "any"
        if tp is type(None):
            return "null"
        if tp in (int, float):
            return "number" if self.ts or tp is float else "integer"
        simple = {str: "string", bool: "boolean"}
        if tp in simple:
            return simple[tp]
        if isinstance(tp, type) and tp.__module__.startswith("lsprotocol."):
            self.lsp_names.add(tp.__name__)
            return tp.__name__
        if isinstance(tp, type) and issubclass(tp, Payload):
            return tp.__name__
        raise TypeError(f"no wire type for {tp!r}")

    def definition(self, alias: Any) -> str:
        """What a named type stands for (its members, never its own name)."""
        if get_origin(alias) is Literal:
            return " | ".join(json.dumps(value) for value in get_args(alias))
        return " | ".join(self(member) for member in get_args(alias))

    def optional(self, tp: Any) -> str:
        """An optional field's type: absent, not null, when unset."""
        members = get_args(tp) if get_origin(tp) in (typing.Union, types.UnionType) else ()
        if type(None) in members:
            tp = typing.Union[tuple(m for m in members if m is not type(None))]  # noqa: UP007
        return self(tp)


def json_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:38] + '…"'


# --- docs/protocol.md ------------------------------------------------------------------------


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    return f"`{text}`"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def class_table(cls: type[Payload]) -> str:
    hints = typing.get_type_hints(cls)
    notes = comments(cls)
    type_text = TypeText(ts=False)
    rows = []
    for field in attrs.fields(cls):
        tp = hints[field.name]
        if is_optional(field):
            kind = f"{code(type_text.optional(tp))}, optional"
            default = default_of(field)
            if default not in (None, "", [], {}):
                kind += f" (default {code(json_text(default))})"
        else:
            kind = code(type_text(tp))
        rows.append([code(camel(field.name)), kind, notes.get(field.name, "")])
    title = f"**{code(cls.__name__)}**" + (f" — {docstring(cls)}" if docstring(cls) else "")
    return title + "\n\n" + table(["field", "type", ""], rows)


def methods_table() -> str:
    type_text = TypeText(ts=False)
    notes = comments(protocol.Command)
    rows = []
    for command, signature in protocol.SIGNATURES.items():
        direction = "client → server" + (", streams" if signature.streams else "")
        params = code(signature.params.__name__) if signature.params else code("{}")
        result = code(signature.result.__name__) if signature.result else code("null")
        rows.append([code(command), direction, params, result, notes.get(command.name, "")])
    for method, params_class in protocol.NOTIFICATIONS.items():
        params = code(type_text(params_class))
        rows.append([code(method), "server → client", params, "—", docstring(params_class)])
    return table(["method", "direction", "params", "result", ""], rows)


def types_table() -> str:
    type_text = TypeText(ts=False)
    notes = comments(protocol)
    rows = []
    for name, alias in ALIASES.items():
        rows.append([code(name), code(type_text.definition(alias)), notes.get(name, "")])
    return table(["type", "values", ""], rows)


def constants_table() -> str:
    notes = comments(protocol)
    rows = [
        [code(name), code(json.dumps(EXPORTED[name])), notes.get(name, "")] for name in CONSTANTS
    ]
    return table(["constant", "value", ""], rows)


def errors_table() -> str:
    rows = []
    for error, data in protocol.ERRORS.items():
        shown = code(data.__name__) if data else "—"
        rows.append([code(str(error.CODE)), code(error.__name__), docstring(error), shown])
    return table(["code", "error", "when", "`data`"], rows)


def settings_rows(cls: type, prefix: str = "") -> Iterator[list[str]]:
    """One row per setting: nested attrs classes are sections (`timeouts.idleS`)."""
    hints = typing.get_type_hints(cls)
    notes = comments(cls)
    type_text = TypeText(ts=False)
    for field in attrs.fields(cls):
        key = prefix + camel(field.name)
        tp = hints[field.name]
        if attrs.has(tp):
            yield from settings_rows(tp, key + ".")
            continue
        kind = code(type_text(tp))
        minimum = field.metadata.get("minimum")
        if minimum is not None:
            kind += f" ≥ {json_text(minimum)}"
        # A factory's value may depend on the machine (`core_count`): not shown.
        computed = isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]
        shown = "computed" if computed else code(json_text(field.default))
        yield [code(key), kind, shown, notes.get(field.name, "")]


def settings_table() -> str:
    return table(["key", "type", "default", ""], list(settings_rows(Settings)))


BLOCKS = {
    "methods": methods_table,
    "types": types_table,
    "constants": constants_table,
    "errors": errors_table,
    "settings": settings_table,
}
BLOCK = re.compile(r"(<!-- generated: (.+?) -->\n)(.*?)(<!-- end generated -->)", re.DOTALL)


def render_docs(text: str) -> str:
    tabulated: set[type] = set()

    def block(match: re.Match[str]) -> str:
        what = match[2].strip()
        if what in BLOCKS:
            body = BLOCKS[what]()
        else:
            classes = [EXPORTED.get(name) for name in what.split()]
            unknown = [n for n, c in zip(what.split(), classes, strict=True) if c not in PAYLOADS]
            if unknown:
                raise SystemExit(f"{DOCS}: no protocol class {', '.join(unknown)}")
            tabulated.update(classes)  # type: ignore[arg-type]
            body = "\n\n".join(class_table(cls) for cls in classes)  # type: ignore[arg-type]
        return f"{match[1]}\n{body}\n\n{match[4]}"

    text = BLOCK.sub(block, text)
    missing = [cls.__name__ for cls in PAYLOADS if cls not in tabulated]
    if missing:
        raise SystemExit(
            f"{DOCS} tabulates no {', '.join(missing)}: add "
            f"`<!-- generated: {' '.join(missing)} -->` `<!-- end generated -->` where it belongs."
        )
    return text


# --- client-vscode/src/protocol.ts -----------------------------------------------------------


def doc_comment(text: str, indent: str = "") -> list[str]:
    if not text:
        return []
    if len(indent) + len(text) + 7 <= 110:
        return [f"{indent}/** {text} */"]
    wrapped = textwrap.wrap(text, width=110 - len(indent) - 3)
    return [f"{indent}/**", *(f"{indent} * {line}" for line in wrapped), f"{indent} */"]


def render_typescript() -> str:
    type_text = TypeText(ts=True)
    notes = comments(protocol)
    body: list[str] = []
    for name in NAMES:
        value = EXPORTED[name]
        lines: list[str] = []
        if isinstance(value, type) and issubclass(value, enum.Enum):
            lines += doc_comment(docstring(value))
            lines.append(f"export const {name} = {{")
            members = comments(value)
            for member in value:
                lines += doc_comment(members.get(member.name, ""), "  ")
                lines.append(f"  {member.name}: {json.dumps(member.value)},")
            lines.append("} as const;")
            lines.append(f"export type {name} = (typeof {name})[keyof typeof {name}];")
        elif name in CONSTANTS:
            lines += doc_comment(notes.get(name, ""))
            lines.append(f"export const {name} = {json.dumps(value)};")
        elif name in ALIASES:
            lines += doc_comment(notes.get(name, ""))
            lines.append(f"export type {name} = {type_text.definition(value)};")
        elif value in PAYLOADS:
            lines += _interface(value, type_text)
        if lines:
            body += [*lines, ""]
    keys = [row[0].strip("`") for row in settings_rows(Settings)]
    body += [
        "/** The keys of the server's settings (server/config.py), dotted: `timeouts.idleS`. */",
        "export const SETTING_KEYS = [",
        *(f"  {json.dumps(key)}," for key in keys),
        "] as const;",
        "",
    ]
    header = [
        "// Generated from server/protocol.py by scripts/generate_protocol.py: do not edit.",
        f"// After changing the protocol, run `{COMMAND}` in the repository root.",
    ]
    if type_text.lsp_names:
        names = ", ".join(sorted(type_text.lsp_names))
        header.append(f'import type {{ {names} }} from "vscode-languageclient/node";')
    return "\n".join([*header, "", *body]).rstrip("\n") + "\n"


def _interface(cls: type[Payload], type_text: TypeText) -> list[str]:
    hints = typing.get_type_hints(cls)
    notes = comments(cls)
    lines = [*doc_comment(docstring(cls)), f"export interface {cls.__name__} {{"]
    for field in attrs.fields(cls):
        lines += doc_comment(notes.get(field.name, ""), "  ")
        tp = hints[field.name]
        if is_optional(field):
            lines.append(f"  {camel(field.name)}?: {type_text.optional(tp)};")
        else:
            lines.append(f"  {camel(field.name)}: {type_text(tp)};")
    return [*lines, "}"]


# --- Running it ------------------------------------------------------------------------------


def generated() -> dict[Path, str]:
    """Every generated file with the content it should have."""
    return {DOCS: render_docs(DOCS.read_text()), TYPESCRIPT: render_typescript()}


def stale() -> list[Path]:
    return [path for path, text in generated().items() if path.read_text() != text]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args()
    if args.check:
        outdated = stale()
        for path in outdated:
            print(f"{path.relative_to(ROOT)} is stale: run `{COMMAND}`", file=sys.stderr)
        return 1 if outdated else 0
    for path, text in generated().items():
        if path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
