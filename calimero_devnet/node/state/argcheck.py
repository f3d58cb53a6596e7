"""Provides the check of a call's JSON arguments against the app's ABI manifest: they are
bound to the parameters by the SDK's rules (SDK.md "Arguments"), then each bound value is
checked against its parameter's declared type. Pure: no I/O."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from calimero_devnet.errors import InvalidArgs

# The SDK's bigint parameter types (a whole JSON number or a decimal string) and their
# ranges (None: unbounded), as the SDK's own check has them.
_BIG: dict[str, tuple[int, int] | None] = {
    "u64": (0, 2**64), "i64": (-(2**63), 2**63), "u128": (0, 2**128),
    "i128": (-(2**127), 2**127), "bigint": None,
}  # fmt: skip
_DECIMAL = re.compile(r"-?\d+")
_LITERAL = re.compile(r"""^(?:"[^"]*"|'[^']*')$""")
# A type we cannot judge from its text (generics, object types, arrays, tuples, functions).
_COMPOUND = re.compile(r"[<>{}()\[\]&]")
_MISSING: Any = object()


@dataclass(frozen=True)
class Param:
    """One parameter of a method as the manifest declares it."""

    name: str | None
    type: str | None
    optional: bool

    def signature(self) -> str:
        """``key: string`` (``key?: string`` when optional)."""
        mark = "?" if self.optional else ""
        return f"{self.name or '_'}{mark}: {self.type or 'unknown'}"


Methods = dict[str, tuple[Param, ...]]


@lru_cache(maxsize=64)
def manifest_methods(abi: bytes) -> Methods | None:
    """The parameters of every method of an embedded manifest, or None if it is unreadable.

    Cached: an app's manifest bytes are fixed, and parsing it costs more than a small call.
    """
    try:
        doc = json.loads(abi)
        return {
            str(m["name"]): tuple(_param(p) for p in m.get("params") or ())
            for m in doc.get("methods") or ()
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        return None  # a foreign or damaged section: check nothing rather than refuse calls


def _param(entry: dict[str, Any]) -> Param:
    name, kind = entry.get("name"), entry.get("type")
    return Param(
        name=name if isinstance(name, str) else None,
        type=kind.strip() if isinstance(kind, str) and kind.strip() else None,
        optional=bool(entry.get("optional")),
    )


def check_args(method: str, params: tuple[Param, ...], data: Any) -> None:
    """Bind ``data`` (the call's parsed JSON) as the SDK will and check every bound value.

    Raises:
        InvalidArgs: a required parameter is unbound, or a value does not fit its type;
            the message names the parameter, the expected type and what was sent.
    """
    if not params:
        return  # the SDK ignores arguments of a method that takes none
    bound, whole = bind(params, data)
    for param, value in zip(params, bound, strict=True):
        problem = _misfit(param, value)
        if problem is not None:
            raise InvalidArgs(_message(method, params, param, problem, whole))


def bind(params: tuple[Param, ...], data: Any) -> tuple[list[Any], bool]:
    """The value each parameter receives (``_MISSING`` for none) and whether the whole
    object went to the first one because no key named a parameter (upstream's rule)."""
    if isinstance(data, list):
        return [data[i] if i < len(data) else _MISSING for i in range(len(params))], False
    named = isinstance(data, dict) and any(p.name is not None and p.name in data for p in params)
    if named:
        return [data.get(p.name, _MISSING) if p.name else _MISSING for p in params], False
    rest = [_MISSING] * (len(params) - 1)
    if params[0].optional and data == {}:
        return [_MISSING, *rest], False  # no arguments: an optional first parameter is unset
    return [data, *rest], isinstance(data, dict)


def _misfit(param: Param, value: Any) -> str | None:
    """Why ``value`` cannot be ``param``, or None when it fits (or cannot be judged)."""
    if value is _MISSING:
        return None if param.optional else "is missing"
    accepted = _alternatives(param.type)
    if accepted is None:
        return None
    if value is None and param.optional:
        return None  # JSON has no undefined: null stands for an unset optional
    if any(_fits(kind, value) for kind in accepted):
        return None
    return f"must be {_article(param.type or '')}, got {describe(value)}"


def _alternatives(declared: str | None) -> list[str] | None:
    """The members of a simple union (``string | null``), or None when any is not simple."""
    if declared is None or _COMPOUND.search(declared):
        return None
    kinds = [kind.strip() for kind in declared.split("|")]
    simple = {"string", "number", "boolean", "null", "undefined", *_BIG}
    if all(kind in simple or _LITERAL.match(kind) for kind in kinds):
        return kinds
    return None  # a named type (an interface, an alias, any, unknown): not ours to judge


def _fits(kind: str, value: Any) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind in _BIG:
        return _fits_big(_BIG[kind], value)
    simple = {"string": isinstance(value, str), "boolean": isinstance(value, bool),
              "number": number, "null": value is None, "undefined": value is None}  # fmt: skip
    if kind in simple:
        return simple[kind]
    return isinstance(value, str) and value == kind[1:-1]  # a string literal type


def _fits_big(bounds: tuple[int, int] | None, value: Any) -> bool:
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    return bounds is None or bounds[0] <= value < bounds[1]


def _article(declared: str) -> str:
    return f"an {declared}" if declared[:1] in "aeio" else f"a {declared}"


def describe(value: Any) -> str:
    """``an object {"kye":"a"}``: the JSON kind of a value and the start of its text."""
    kind = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    name = "null" if value is None else kind.get(type(value), "a number")
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return name if value is None else f"{name} {text[:80]}{'…' if len(text) > 80 else ''}"


def _message(
    method: str, params: tuple[Param, ...], param: Param, problem: str, whole: bool
) -> str:
    shape = f"{method}({', '.join(p.signature() for p in params)})"
    text = f"{method}: argument {param.name or '#1'!r} ({param.type or 'unknown'}) {problem}"
    if whole and param is params[0]:
        text += f"; no key of the call names a parameter of {shape}, so the whole object was "
        text += "bound to it"
    else:
        text += f"; the method is {shape}"
    return text
