"""Provides ``parse_workflow``: a merobox workflow file, checked strictly, as a ``Workflow``.

Strict: an unknown key, an unknown step type, a missing field, a placeholder no earlier
step sets, a node that is not declared: each is a ``WorkflowError`` naming the file, the
line and the step. Docker-only keys are accepted and noted as not applicable. Steps this
devnet does not support are all collected, and the file fails naming every one of them,
before any node starts. Paths resolve against the current folder, like merobox's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from calimero_devnet.config.schema import NAME_PATTERN
from calimero_devnet.errors import ConfigError
from calimero_devnet.workflows import catalogue as cat
from calimero_devnet.workflows.errors import WorkflowError
from calimero_devnet.workflows.model import NodePlan, Workflow
from calimero_devnet.workflows.placeholders import expand_env
from calimero_devnet.workflows.source import Located, load_yaml
from calimero_devnet.workflows.steps_parse import StepParser, check_keys

MAX_NODES = 64


def parse_workflow(path: Path, cwd: Path | None = None) -> Workflow:
    """Read and check the workflow at ``path``; relative paths in it resolve against ``cwd``.

    Raises:
        WorkflowError: the file is malformed, or uses steps we do not support (all named).
        ConfigError: it cannot be read, or is not YAML.
    """
    cwd = Path.cwd() if cwd is None else cwd
    try:
        text = (cwd / path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the workflow {path}: {exc.strerror or exc}") from exc
    try:
        text = expand_env(text)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    doc = load_yaml(path, text)
    if not isinstance(doc, Located):
        raise WorkflowError(path, 1, "a workflow is a mapping with name, nodes and steps")
    notes: list[str] = []
    check_keys(
        path,
        doc,
        cat.TOP_USED | cat.TOP_NOT_APPLICABLE | cat.TOP_NOT_HERE,
        notes=notes,
        not_applicable=cat.TOP_NOT_APPLICABLE,
    )
    for key in sorted(cat.TOP_NOT_HERE & doc.keys()):
        raise WorkflowError(
            path,
            doc.key_lines[key],
            f"{key} is not supported by devnet run (it starts its own local nodes)",
        )
    for key in ("name", "nodes"):
        if key not in doc:
            raise WorkflowError(path, doc.line, f"the workflow has no {key!r}")
    nodes = _nodes(path, doc["nodes"], doc.key_lines["nodes"], notes)
    steps = StepParser(path, cwd, [n.name for n in nodes], notes).parse_list(doc.get("steps"))
    if doc.get("stop_all_nodes") is False:
        notes.append(
            "stop_all_nodes: false: the nodes stop when devnet run exits "
            "(--keep keeps them running)"
        )
    return Workflow(
        path,
        str(doc["name"]),
        nodes,
        steps,
        stop_all_nodes=True,
        wait_timeout=float(doc.get("wait_timeout", 60)),
        log_level=str(doc["log_level"]) if doc.get("log_level") else None,
        notes=tuple(notes),
    )


def _nodes(path: Path, raw: Any, line: int, notes: list[str]) -> tuple[NodePlan, ...]:
    if not isinstance(raw, Located) or not raw:
        raise WorkflowError(path, line, "nodes: give count (and prefix), or name each node")
    if "count" in raw:
        return _counted(path, raw, notes)
    plans = []
    for name, settings in raw.items():
        at = raw.key_lines[name]
        _check_name(path, at, name)
        given = _empty() if settings is None else settings
        if not isinstance(given, Located):
            raise WorkflowError(path, at, f"nodes.{name}: give a mapping (rpc_port: ...)")
        check_keys(
            path,
            given,
            cat.NODE_USED | cat.NODE_NOT_APPLICABLE,
            notes=notes,
            not_applicable=cat.NODE_NOT_APPLICABLE,
            where=f"nodes.{name}",
        )
        plans.append(NodePlan(name, _port(path, given, "rpc_port")))
    return tuple(plans)


def _empty() -> Located:
    empty = Located()
    empty.key_lines = {}
    return empty


def _counted(path: Path, raw: Located, notes: list[str]) -> tuple[NodePlan, ...]:
    check_keys(
        path,
        raw,
        cat.COUNT_USED | cat.COUNT_NOT_APPLICABLE,
        notes=notes,
        not_applicable=cat.COUNT_NOT_APPLICABLE,
        where="nodes",
    )
    count = raw["count"]
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_NODES:
        raise WorkflowError(path, raw.key_lines["count"], f"nodes.count: give 1..{MAX_NODES}")
    prefix = str(raw.get("prefix", cat.DEFAULT_PREFIX))
    base = _port(path, raw, "base_rpc_port")
    names = [f"{prefix}-{index}" for index in range(1, count + 1)]
    for name in names:
        _check_name(path, raw.key_lines.get("prefix", raw.line), name)
    return tuple(NodePlan(name, base + i if base else 0) for i, name in enumerate(names))


def _port(path: Path, raw: Located, key: str) -> int:
    value = raw.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 65535:
        raise WorkflowError(path, raw.key_lines.get(key, raw.line), f"{key}: give a port number")
    return value


def _check_name(path: Path, line: int, name: str) -> None:
    if not re.fullmatch(NAME_PATTERN, name):
        raise WorkflowError(
            path, line, f"node name {name!r}: use letters, digits, - and _ (up to 32)"
        )
