"""How the classes of `protocol` travel: JSON objects whose keys are the camelCase field names.

A field declared with `optional(...)` may be absent on the wire: the receiver uses its default,
and `to_wire` leaves it out while it holds that default. Every other field is always sent, a
`None` as `null`.

Payloads are built and sent at once, several per streamed batch, so both halves are fast:
`to_wire` is compiled per class on first use into the code one would write by hand (one dict
display, one `if` per optional field; the wire names still come from the class alone), and the
classes are `attrs.define`, not frozen, whose `__init__` costs twice as much.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from typing import Any, Literal, get_args, get_origin

import attrs

from .structure import camel, unstructure

#: Metadata key marking a field declared with `optional`.
OPTIONAL = "ollama_lsp.optional"


def optional(default: Any = None, *, factory: Any = None) -> Any:
    """A field that may be absent on the wire (see the module docstring)."""
    if factory is not None:
        return attrs.field(factory=factory, metadata={OPTIONAL: True})
    return attrs.field(default=default, metadata={OPTIONAL: True})


def is_optional(field: attrs.Attribute[Any]) -> bool:
    return bool(field.metadata.get(OPTIONAL))


def default_of(field: attrs.Attribute[Any]) -> Any:
    """The value a field takes when absent (a factory's product, made afresh)."""
    default: Any = field.default
    is_factory = isinstance(default, attrs.Factory)  # type: ignore[arg-type]  # a class at runtime
    return default.factory() if is_factory else default


class Payload:
    """Base of every class that goes on the wire: gives it `to_wire`."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        setattr(cls, "to_wire", Payload.to_wire)  # noqa: B010  # never a base class's encoder

    def to_wire(self) -> dict[str, Any]:
        """This object as JSON values. The first call compiles the class's encoder, which then
        replaces this method."""
        encode = _compile_encoder(type(self))
        setattr(type(self), "to_wire", encode)  # noqa: B010 (mypy rejects assigning a method)
        return encode(self)


def _compile_encoder(cls: type[Payload]) -> Callable[[Payload], dict[str, Any]]:
    hints = typing.get_type_hints(cls)
    namespace: dict[str, Any] = {"unstructure": unstructure}
    leading: list[str] = []  # the fields before the first optional one: one dict display
    statements: list[str] = []
    for field in attrs.fields(cls):  # type: ignore[arg-type]
        key, value = repr(camel(field.name)), _value_code(f"self.{field.name}", hints[field.name])
        if not is_optional(field):
            if statements:
                statements.append(f"    wire[{key}] = {value}")
            else:
                leading.append(f"{key}: {value}")
            continue
        if field.default is None:
            statements.append(f"    if self.{field.name} is not None:")
        else:
            namespace[f"default_{field.name}"] = default_of(field)
            statements.append(f"    if self.{field.name} != default_{field.name}:")
        statements.append(f"        wire[{key}] = {value}")
    source = "\n".join(
        [
            "def to_wire(self):",
            f"    wire = {{{', '.join(leading)}}}",
            *statements,
            "    return wire",
        ]
    )
    exec(compile(source, f"<to_wire of {cls.__qualname__}>", "exec"), namespace)
    encoder: Callable[[Payload], dict[str, Any]] = namespace["to_wire"]
    return encoder


_JSON_NATIVE = (str, int, float, bool, type(None), dict)


def _value_code(expression: str, tp: Any) -> str:
    """Python code turning the field value `expression` of type `tp` into JSON values."""
    origin = get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        members = [arg for arg in get_args(tp) if arg is not type(None)]
        if all(_is_payload(member) for member in members):
            if len(members) < len(get_args(tp)):
                return f"(None if {expression} is None else {expression}.to_wire())"
            return f"{expression}.to_wire()"
    if _is_payload(tp):
        return f"{expression}.to_wire()"
    if origin is list and _is_payload(get_args(tp)[0]):
        return f"[item.to_wire() for item in {expression}]"
    if _is_json(tp):
        return expression
    return f"unstructure({expression})"  # lsprotocol's types


def _is_payload(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, Payload)


def _is_json(tp: Any) -> bool:
    """True for types whose values already are JSON values."""
    origin = get_origin(tp)
    if tp is Any or origin is Literal or tp in _JSON_NATIVE or origin is dict:
        return True
    if origin in (types.UnionType, typing.Union, list):
        return all(_is_json(arg) for arg in get_args(tp))
    return False
