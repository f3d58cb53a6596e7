"""Provides ``outputs:`` capture: a step's response values into the workflow's variables.

``target: source`` takes ``source`` (a dotted path, list indices as numbers) from the
response; the long form ``target: {field, path, json}`` takes ``field``, parses it as JSON
if ``json`` is true, then follows ``path``. ``{node_name}`` in a target becomes the step's
node. A source the response lacks is an error naming it, unless the step's call failed
(an error report carries no result fields; merobox skips those captures too).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from calimero_devnet.errors import ConfigError

_ABSENT: Any = object()


class OutputMissing(ConfigError):
    """A capture names something the response does not carry."""


def capture(
    outputs: Mapping[str, Any],
    response: Mapping[str, Any],
    node: str | None = None,
    *,
    failed: bool = False,
) -> dict[str, Any]:
    """The variables ``outputs`` takes from ``response``.

    Raises:
        OutputMissing: a source is absent (and the step did not fail).
    """
    captured: dict[str, Any] = {}
    for target, source in outputs.items():
        name = target.replace("{node_name}", node or "")
        value = _take(source, response)
        if value is _ABSENT:
            if failed:
                continue
            has = ", ".join(sorted(response)) or "nothing"
            raise OutputMissing(
                f"outputs.{target}: the response has no {_label(source)!r} (it has: {has})"
            )
        captured[name] = value
    return captured


def _label(source: Any) -> str:
    if isinstance(source, Mapping):
        path = source.get("path")
        return f"{source.get('field')}" + (f" → {path}" if path else "")
    return str(source)


def _take(source: Any, response: Mapping[str, Any]) -> Any:
    if isinstance(source, str):
        return follow(response, source)
    value = response.get(str(source.get("field")), _ABSENT)
    if value is not _ABSENT and source.get("json") and isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return _ABSENT
    path = source.get("path")
    return follow(value, str(path)) if path and value is not _ABSENT else value


def follow(value: Any, path: str) -> Any:
    """The value at dotted ``path`` inside ``value`` (``_ABSENT`` when it is not there)."""
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _ABSENT
    return value


def is_absent(value: Any) -> bool:
    """True for what ``follow`` returns when the path is not there."""
    return value is _ABSENT
