"""Provides the strict check of parsed TOML against the declared settings of ``config_schema``.

Unknown keys are refused with a "did you mean"; wrong types and out-of-range values are
refused with the key path (``nodes.count``, ``apps[1].path``) and what to write instead.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from typing import Any

from calimero_devnet.config.schema import (
    AUTO,
    NAME_PATTERN,
    NAME_RULE,
    SECTIONS,
    TOKEN_RULE,
    Section,
    Setting,
)
from calimero_devnet.errors import ConfigError

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class Where:
    """Makes ``ConfigError``s that start with the file (or option) the value came from."""

    def __init__(self, source: str) -> None:
        """Errors will read ``<source>: <key path>: <problem and fix>``."""
        self.source = source

    def error(self, path: str, message: str) -> ConfigError:
        """An error about the value at ``path``."""
        return ConfigError(f"{self.source}: {path}: {message}")


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest candidate, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def join(path: str, key: str) -> str:
    """Append ``key`` to a dotted key path, quoting it when TOML would."""
    part = key if BARE_KEY.match(key) else f'"{key}"'
    return f"{path}.{part}" if path else part


def describe(value: Any) -> str:
    """Name the TOML type of ``value`` for messages, with the value when short."""
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
        (list, "an array"), (dict, "a table"), ((datetime, date, time), "a date/time"),
    )  # fmt: skip
    name = next((text for kind, text in kinds if isinstance(value, kind)), type(value).__name__)
    shown = json.dumps(value, default=str, ensure_ascii=False)
    return f"{name} ({shown})" if len(shown) <= 40 and not isinstance(value, dict) else name


def check_document(document: dict[str, Any], where: Where) -> None:
    """Check every section of a parsed ``devnet.toml``; raise the first problem found."""
    sections = {section.key: section for section in SECTIONS}
    for key, value in document.items():
        if key not in sections:
            hint = (
                "the top level takes [cluster], [nodes], [broker], [build], [[apps]], [[contexts]]"
            )
            raise where.error(join("", key), f"unknown key{did_you_mean(key, sections)} ({hint})")
        _check_section(sections[key], value, where)


def _check_section(section: Section, value: Any, where: Where) -> None:
    if not section.array:
        if not isinstance(value, dict):
            fix = f"write [{section.key}] on a line of its own, then its keys"
            raise where.error(section.key, f"expected a table, got {describe(value)}: {fix}")
        _check_table(section, value, section.key, where)
        return
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        fix = f"start each entry with [[{section.key}]]"
        raise where.error(section.key, f"expected an array of tables, got {describe(value)}: {fix}")
    for position, item in enumerate(value):
        _check_table(section, item, f"{section.key}[{position}]", where)


def _check_table(section: Section, table: dict[str, Any], path: str, where: Where) -> None:
    for key, value in table.items():
        setting = section.setting(key)
        if setting is not None:
            check_value(setting, value, join(path, key), where)
        elif section.named is not None and isinstance(value, dict):
            _check_table(section.named, value, join(path, key), where)
        else:
            raise where.error(join(path, key), _unknown(key, section))
    for setting in section.settings:
        if setting.required and setting.key not in table:
            raise where.error(join(path, setting.key), f"missing; add it: {setting.doc}")


def _unknown(key: str, section: Section) -> str:
    keys = [setting.key for setting in section.settings]
    takes = ", ".join(keys)
    if section.named is not None:
        takes += f", and [{section.named.key}] tables"
    return f"unknown key{did_you_mean(key, keys)} ({section.key} takes {takes})"


def check_value(setting: Setting, value: Any, path: str, where: Where) -> None:
    """Check one value against its declaration; raise a ``ConfigError`` naming ``path``."""
    problem = _CHECKS[setting.kind](setting, value)
    if problem is not None:
        raise where.error(path, problem)


def _wrong(setting: Setting, expected: str, value: Any) -> str:
    return f"expected {expected}, got {describe(value)}: write {setting.key} = {_example(setting)}"


def _example(setting: Setting) -> str:
    examples = {"integer": str(setting.default or setting.minimum or 1), "boolean": "true",
                "port": f'"{AUTO}" or a port such as 2428', "names": '["alice", "bob"]',
                "table": '{ owner = "alice" }'}  # fmt: skip
    if setting.kind in examples:
        return examples[setting.kind]
    text = setting.choices[0] if setting.choices else setting.default or "..."
    return f'"{text}"'


def _string(setting: Setting, value: Any) -> str | None:
    if not isinstance(value, str):
        return _wrong(setting, "a string", value)
    if setting.choices and value not in setting.choices:
        options = ", ".join(f'"{choice}"' for choice in setting.choices)
        return f"{value!r} is not one of {options}{did_you_mean(value, setting.choices)}"
    if setting.pattern is not None and not re.match(setting.pattern, value):
        if setting.secret:  # a near-miss of a real token must not end up in a terminal log
            return f"this is not a valid token: use {TOKEN_RULE}"
        return f"{value!r} is not a valid name: use {NAME_RULE}"
    return None


def _integer(setting: Setting, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return _wrong(setting, "an integer", value)
    low = setting.minimum if setting.minimum is not None else value
    high = setting.maximum if setting.maximum is not None else value
    if not low <= value <= high:
        return f"{value} is out of range: use {setting.minimum}..{setting.maximum}"
    return None


def _boolean(setting: Setting, value: Any) -> str | None:
    return None if isinstance(value, bool) else _wrong(setting, "true or false", value)


def _port(setting: Setting, value: Any) -> str | None:
    if value == AUTO or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return None if value == AUTO or value <= 65535 else f"{value} is not a port: use 1..65535"
    return _wrong(setting, f'a port or "{AUTO}"', value)


def _names(setting: Setting, value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return _wrong(setting, "an array of strings", value)
    if not value:
        return "is empty: list at least one name, or leave the key out"
    bad = next((item for item in value if not re.match(NAME_PATTERN, item)), None)
    if bad is not None:
        return f"{bad!r} is not a valid name: use {NAME_RULE}"
    twice = next((item for item in value if value.count(item) > 1), None)
    return None if twice is None else f"{twice!r} is listed twice: list each name once"


def _table(setting: Setting, value: Any) -> str | None:
    return None if isinstance(value, dict) else _wrong(setting, "a table", value)


_CHECKS: dict[str, Callable[[Setting, Any], str | None]] = {
    "string": _string,
    "integer": _integer,
    "boolean": _boolean,
    "port": _port,
    "names": _names,
    "table": _table,
}
