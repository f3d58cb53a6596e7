"""Provides ``{{name}}`` placeholders (resolved per step) and ``${VAR}`` (at load time).

A string that is exactly one placeholder becomes the captured value itself, whatever its
type (a call's ``result`` stays a mapping); a placeholder inside longer text becomes the
value's text (JSON for anything but a string). ``${VAR}`` and ``${VAR:-default}`` are
expanded in the file's text before it is parsed, as merobox does.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from calimero_devnet.errors import ConfigError

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class Unresolved(ConfigError):
    """A placeholder names a value no earlier step captured; ``name`` is that name."""

    def __init__(self, name: str) -> None:
        """Name the placeholder."""
        super().__init__(f"{{{{{name}}}}} is not set: no earlier step captured {name!r}")
        self.name = name


def names_in(value: Any) -> Iterator[str]:
    """Every placeholder name in ``value`` (strings, and inside lists and mappings)."""
    if isinstance(value, str):
        yield from PLACEHOLDER.findall(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from names_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from names_in(item)


def as_text(value: Any) -> str:
    """``value`` as it reads inside text: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def resolve(value: Any, values: Mapping[str, Any]) -> Any:
    """``value`` with every placeholder replaced from ``values`` (recursively).

    Raises:
        Unresolved: a placeholder names nothing in ``values``.
    """
    if isinstance(value, str):
        whole = PLACEHOLDER.fullmatch(value.strip())
        if whole is not None:
            return _lookup(whole.group(1), values)
        return PLACEHOLDER.sub(lambda m: as_text(_lookup(m.group(1), values)), value)
    if isinstance(value, Mapping):
        return {key: resolve(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, values) for item in value]
    return value


def _lookup(name: str, values: Mapping[str, Any]) -> Any:
    if name not in values:
        raise Unresolved(name)
    return values[name]


def expand_env(text: str, env: Mapping[str, str] | None = None) -> str:
    """``text`` with ``${VAR}`` and ``${VAR:-default}`` replaced from the environment.

    Raises:
        ConfigError: a ``${VAR}`` without a default names an unset variable (with its line).
    """
    env = os.environ if env is None else env

    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        line = text.count("\n", 0, match.start()) + 1
        raise ConfigError(
            f"line {line}: ${{{name}}} is not set in the environment "
            f"(set it, or give a default: ${{{name}:-value}})"
        )

    return _ENV.sub(one, text)
