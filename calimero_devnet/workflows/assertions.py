"""Provides the statements of ``assert`` and ``json_assert`` steps, evaluated safely.

A statement is a comparison (``{{a}} == 'x'``, ``<``, ``!=``, ``in``...) or a helper call:
``is_set``, ``is_empty``, ``contains``/``not_contains``, ``equal``/``not_equal`` (and the
``-s`` spellings), ``json_equal``, ``json_subset``/``subset``, ``regex``. Placeholders are
bound as values, never pasted in as text, so a captured string needs no quoting; literals
are Python or JSON (``true``, ``false``, ``null``). A placeholder that names nothing fails
the statement. Nothing else is evaluated: no names, attributes or other calls.
"""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from calimero_devnet.workflows.placeholders import PLACEHOLDER, as_text

_JSON_NAMES = {
    "true": True,
    "false": False,
    "null": None,
    "True": True,
    "False": False,
    "None": None,
}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One statement's outcome: ``ok``, and why not (with the values it compared)."""

    statement: str
    ok: bool
    detail: str = ""


class StatementError(Exception):
    """A statement we cannot read (not one of the forms above)."""


def parse_json(value: Any) -> Any:
    """``value``, or the JSON it holds when it is a string of JSON."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def is_subset(actual: Any, expected: Any) -> bool:
    """True when every key of ``expected`` is in ``actual`` with a matching value, deeply."""
    actual, expected = parse_json(actual), parse_json(expected)
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and is_subset(actual[key], value) for key, value in expected.items()
        )
    return bool(actual == expected)


def _is_set(value: Any) -> bool:
    return value is not None and value != ""


def _is_empty(value: Any) -> bool:
    return value is None or (hasattr(value, "__len__") and len(value) == 0)


def _contains(haystack: Any, needle: Any) -> bool:
    if isinstance(haystack, list) and needle in haystack:
        return True
    return as_text(needle) in as_text(haystack)


HELPERS: dict[str, Callable[..., bool]] = {
    "is_set": _is_set,
    "is_empty": _is_empty,
    "contains": _contains,
    "not_contains": lambda a, b: not _contains(a, b),
    "equal": lambda a, b: parse_json(a) == parse_json(b),
    "equals": lambda a, b: parse_json(a) == parse_json(b),
    "not_equal": lambda a, b: parse_json(a) != parse_json(b),
    "not_equals": lambda a, b: parse_json(a) != parse_json(b),
    "json_equal": lambda a, b: parse_json(a) == parse_json(b),
    "json_subset": is_subset,
    "subset": is_subset,
    "regex": lambda a, pattern: re.search(str(pattern), as_text(a)) is not None,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def evaluate(statement: str, values: Mapping[str, Any]) -> Verdict:
    """Evaluate ``statement`` with its placeholders bound from ``values``."""
    bound: dict[str, Any] = {}
    missing: list[str] = []

    def bind(match: re.Match[str]) -> str:
        name = match.group(1)
        token = f"_v{len(bound)}"
        if name not in values:
            missing.append(name)
        bound[token] = values.get(name)
        return token

    text = PLACEHOLDER.sub(bind, statement)
    if missing:
        names = ", ".join(f"{{{{{name}}}}}" for name in missing)
        return Verdict(statement, False, f"{names} not set")
    try:
        ok = bool(_eval(ast.parse(text.strip(), mode="eval").body, bound))
    except SyntaxError:
        return Verdict(statement, False, "cannot read this statement (see docs/workflows.md)")
    except StatementError as exc:
        return Verdict(statement, False, str(exc))
    except (TypeError, ValueError, re.error) as exc:
        return Verdict(statement, False, f"cannot compare: {exc}")
    return Verdict(statement, ok, "" if ok else _shown(statement, values))


def _shown(statement: str, values: Mapping[str, Any]) -> str:
    names = dict.fromkeys(PLACEHOLDER.findall(statement))
    shown = [f"{name} = {json.dumps(values[name])}" for name in names]
    return "false" + (f" with {'; '.join(shown)}" if shown else "")


def _eval(node: ast.expr, bound: Mapping[str, Any]) -> Any:  # noqa: PLR0911  (one per form)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in bound:
            return bound[node.id]
        if node.id in _JSON_NAMES:
            return _JSON_NAMES[node.id]
        raise StatementError(f"unknown name {node.id!r}: quote text, e.g. '{node.id}'")
    if isinstance(node, ast.List | ast.Tuple):
        return [_eval(item, bound) for item in node.elts]
    if isinstance(node, ast.Dict):
        return {
            _eval(k, bound): _eval(v, bound)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None
        }
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        operand = _eval(node.operand, bound)
        return not operand if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.BoolOp):
        results = [bool(_eval(value, bound)) for value in node.values]
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.Compare):
        return _compare(node, bound)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        helper = HELPERS.get(node.func.id)
        if helper is None or node.keywords:
            raise StatementError(
                f"unknown helper {node.func.id}(): use one of {', '.join(sorted(HELPERS))}"
            )
        return helper(*(_eval(arg, bound) for arg in node.args))
    raise StatementError(f"cannot evaluate {ast.unparse(node)!r} here")


def _compare(node: ast.Compare, bound: Mapping[str, Any]) -> bool:
    left = _eval(node.left, bound)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        right = _eval(right_node, bound)
        if not _COMPARE[type(op)](left, right):
            return False
        left = right
    return True
