"""Provides ``Context``: what the steps of one run share (the cluster, variables, apps)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calimero_devnet.workflows.results import StepFailed

if TYPE_CHECKING:
    from calimero_devnet.cluster.handle import Cluster
    from calimero_devnet.cluster.nodeclient import NodeClient


@dataclass
class Context:
    """The run's cluster and what its steps made: variables, apps, contexts and members."""

    cluster: Cluster
    cwd: Path
    wait_timeout: float = 60.0
    say: Callable[[str], None] = print
    values: dict[str, Any] = field(default_factory=dict)
    wasm_of: dict[str, Path] = field(default_factory=dict)  # application id → its .wasm
    builds: dict[Path, Path] = field(default_factory=dict)  # app folder → built .wasm
    prebuilt: dict[Path, asyncio.Task[Path]] = field(default_factory=dict)  # started early
    members: dict[str, list[str]] = field(default_factory=dict)  # context id → its nodes

    def client(self, node: str) -> NodeClient:
        """The client of ``node``, which must be running.

        Raises:
            StepFailed: the node is unknown or not running.
        """
        self.cluster.node(node)  # an unknown node: ClusterError naming the nodes
        client = self.cluster.clients().get(node)
        if client is None:
            raise StepFailed(f"{node} is not running (start it with a start_node step)")
        return client

    def timeout(self, fields: dict[str, Any], key: str = "timeout") -> float:
        """The step's ``key`` in seconds, or the workflow's ``wait_timeout``."""
        return float(fields.get(key, self.wait_timeout))

    def add_member(self, context_id: str, node: str) -> None:
        """Note that ``node`` takes part in ``context_id`` (and show it in ``devnet status``)."""
        nodes = self.members.setdefault(context_id, [])
        if node not in nodes:
            nodes.append(node)
        self.cluster.rollout.contexts.setdefault(context_id[:8], context_id)
