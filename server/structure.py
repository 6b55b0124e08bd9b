"""JSON ⇄ attrs classes, with errors that name the offending field: the one reader of both
command arguments (strict) and settings (forgiving, `structure_onto`).

cattrs' errors do not say which field of a client's object is wrong, and pygls ignores Python
defaults when it structures command arguments; this small structurer does both right. Wire
names are the camelCase of the attribute names; unknown keys are ignored (forward compatible).
A field's metadata may set `minimum` (a number's smallest value) and `secret` (never shown).
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, TypeVar, get_args, get_origin

import attrs
from lsprotocol.converters import get_converter

T = TypeVar("T")

_LSP_CONVERTER = get_converter()


class ParamsError(ValueError):
    """A value does not fit its declared type; `path` locates it (`context[0].uri`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"`{path}` {message}" if path else message)
        self.path = path


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


_JSON_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}


def structure(cls: type[T], value: Any, path: str = "") -> T:
    """Build `cls` from JSON `value`, raising `ParamsError` at the first mismatch."""
    return typing.cast(T, _structure(cls, value, path))


def structure_onto(base: T, value: Any, path: str, problems: list[str]) -> T:
    """`base` with the values given in JSON object `value`: absent keys keep their value from
    `base`, and so do bad ones, each adding one readable sentence to `problems`."""
    try:
        return typing.cast(T, _structure_attrs(type(base), value, path, base, problems))
    except ParamsError as error:
        problems.append(f"{error}; keeping the current values.")
        return base


def _structure(tp: Any, value: Any, path: str) -> Any:
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin in (types.UnionType, typing.Union):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _structure(option, value, path)
            except ParamsError as error:
                errors.append(error)
        raise errors[0]
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise ParamsError(path, f"must be one of {', '.join(map(repr, allowed))}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ParamsError(path, "must be an array")
        (item_type,) = get_args(tp)
        return [_structure(item_type, item, f"{path}[{i}]") for i, item in enumerate(value)]
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise ParamsError(path, "must be an object")
        return dict(value)
    if attrs.has(tp):
        return _structure_attrs(tp, value, path)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamsError(path, "must be a number")
        return float(value)
    if tp in (str, int, bool):
        # bool is an int in Python, never in JSON.
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise ParamsError(path, f"must be {_JSON_TYPE_NAMES[tp]}")
        return value
    raise TypeError(f"cannot structure {tp!r}")  # a programming error, not the client's


def _structure_attrs(
    cls: type, value: Any, path: str, base: Any = None, problems: list[str] | None = None
) -> Any:
    """An attrs instance from a JSON object; with `problems`, a bad field is reported there and
    keeps its value from `base` instead of failing the whole object."""
    if not isinstance(value, dict):
        raise ParamsError(path, "must be an object")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for field in attrs.fields(cls):
        key = camel(field.name)
        field_path = f"{path}.{key}" if path else key
        if key not in value:
            if base is None and field.default is attrs.NOTHING:
                raise ParamsError(field_path, "is required")
            continue
        current = None if base is None else getattr(base, field.name)
        try:
            if problems is not None and attrs.has(hints[field.name]):
                kwargs[field.name] = _structure_attrs(
                    hints[field.name], value[key], field_path, current, problems
                )
            else:
                given = _structure(hints[field.name], value[key], field_path)
                kwargs[field.name] = _checked(field, given, field_path)
        except ParamsError as error:
            if problems is None:
                raise
            problems.append(f"{error}; keeping {_shown(field, current)}.")
    if base is not None:
        return attrs.evolve(base, **kwargs)
    try:
        return cls(**kwargs)
    except ValueError as error:  # lsprotocol's validators, e.g. a negative line number
        raise ParamsError(path, f"is invalid: {error}") from None


def _checked(field: attrs.Attribute, value: Any, path: str) -> Any:  # type: ignore[type-arg]
    minimum = field.metadata.get("minimum")
    if minimum is not None and value < minimum:
        raise ParamsError(path, f"must be at least {minimum:g}")
    return value


def _shown(field: attrs.Attribute, value: Any) -> str:  # type: ignore[type-arg]
    """How a kept value is named in a message: secrets and whole sections never verbatim."""
    if value is None:
        return "it unset"
    if field.metadata.get("secret") or attrs.has(type(value)):
        return "its current value"
    return repr(value)


def unstructure(value: Any) -> Any:
    """An lsprotocol value (a Range, a WorkspaceEdit, ...) as JSON, unset optionals omitted as
    LSP wants. Our own payloads encode themselves (`wire.Payload.to_wire`)."""
    return _LSP_CONVERTER.unstructure(value)
