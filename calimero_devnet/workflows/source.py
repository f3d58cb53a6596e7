"""Provides YAML loading that remembers where each mapping, list and key came from.

PyYAML's safe loader, with mappings built as ``Located`` dicts and lists as ``LocatedList``:
both carry the 1-based ``line`` they start on, and a mapping the line of each of its keys,
so the parser can name the line of a bad key or step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode

from calimero_devnet.errors import ConfigError


class Located(dict[str, Any]):
    """A YAML mapping; ``line`` is where it starts, ``key_lines`` where each key is."""

    line: int = 0
    key_lines: dict[str, int]


class LocatedList(list[Any]):
    """A YAML sequence; ``line`` is where it starts, ``item_lines`` where each item is."""

    line: int = 0
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    """The safe loader, keeping lines (and refusing keys that are not strings)."""


def _mapping(loader: _Loader, node: MappingNode) -> Located:
    loader.flatten_mapping(node)
    result = Located()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"line {line}: keys must be text, not {key!r}", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(path: Path, text: str) -> Any:
    """The document ``text`` (read from ``path``), with ``Located`` mappings and
    ``LocatedList`` lists.

    Raises:
        ConfigError: it is not YAML (naming the file and line).
    """
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506  (_Loader is a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{line}: not valid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
