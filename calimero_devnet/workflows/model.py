"""Provides the parsed workflow: ``Workflow``, its ``Step``s and ``Group``s (``parse.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Step:
    """One step: its ``kind`` (``type``), label, where it is, its own fields (placeholders
    unresolved), its ``outputs:``, and nested ``steps`` (repeat) or ``groups`` (parallel)."""

    kind: str
    label: str
    line: int
    where: str  # "3", or "3.2" for the second step nested in the third
    fields: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    expected_failure: bool = False
    expected_error: str | None = None
    steps: tuple[Step, ...] = ()
    groups: tuple[Group, ...] = ()


@dataclass(frozen=True, slots=True)
class Group:
    """One group of a ``parallel`` step: its steps run in order, beside the other groups."""

    name: str
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class NodePlan:
    """A node the workflow starts: its name and RPC port (0: a free one)."""

    name: str
    rpc_port: int = 0


@dataclass(frozen=True, slots=True)
class Workflow:
    """A parsed workflow file; ``notes`` say which of its keys do nothing here, and why."""

    path: Path
    name: str
    nodes: tuple[NodePlan, ...]
    steps: tuple[Step, ...]
    stop_all_nodes: bool = True
    wait_timeout: float = 60.0
    log_level: str | None = None
    notes: tuple[str, ...] = ()
