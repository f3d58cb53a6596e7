"""Provides ``ClusterSource``: everything the UI reads from and asks of a cluster, one seam.

``LocalSource`` wraps the ``Cluster`` this process owns (``devnet up``); ``RemoteSource``
wraps a ``RemoteCluster`` run by another process (``devnet tui``): its events arrive over
the control endpoint's stream and its actions go through the same endpoint the CLI uses.
Tests use ``calimero_devnet.testing.fake_cluster.FakeSource``. Every action is the same
library call the CLI makes, so the UI can do nothing the library cannot.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from calimero_devnet.cluster.events import ClusterEvent
from calimero_devnet.cluster.processes.statefile import STATE_FILE
from calimero_devnet.cluster.snapshots.folder import list_snapshots
from calimero_devnet.cluster.status import ClusterStatus, NodeRef
from calimero_devnet.errors import ClusterError

if TYPE_CHECKING:
    from calimero_devnet.cluster.handle import Cluster
    from calimero_devnet.cluster.remote import RemoteCluster

NODE_ACTIONS = ("kill", "stop", "start", "restart")


class ClusterSource(Protocol):
    """What the UI needs of a cluster (see the module docstring)."""

    cluster_id: str
    owner: bool  # quitting the UI stops the cluster

    def node_names(self) -> list[str]:
        """Every node, in config order."""
        ...

    def refs(self) -> list[NodeRef]:
        """Every node and where it runs now."""
        ...

    def contexts(self) -> dict[str, str]:
        """Context name → id."""
        ...

    def log_files(self) -> dict[str, Path]:
        """Node → its ``node.log``."""
        ...

    def public_keys(self) -> dict[str, str]:
        """Node → its public key (base58), for the nodes that have started once."""
        ...

    def events(self) -> AsyncIterator[ClusterEvent]:
        """Every event from now on, until the cluster goes away."""
        ...

    async def status(self) -> ClusterStatus:
        """Every node's view of every context."""
        ...

    async def apps_info(self) -> list[dict[str, Any]]:
        """Apps with version, id and ABI manifest."""
        ...

    async def call(
        self, node: str, method: str, args: Any, context: str | None = None
    ) -> dict[str, Any]:
        """Run a method on a node; the traced result (output, logs, events, fuel, delta)."""
        ...

    async def delta(self, node: str, delta_id: str, context: str | None = None) -> dict[str, Any]:
        """One delta as ``node`` stores it, decoded."""
        ...

    async def recent_deltas(
        self, node: str, context: str | None = None, limit: int = 64
    ) -> dict[str, Any]:
        """``node``'s heads and its newest deltas, children first."""
        ...

    async def node_action(self, node: str, action: str) -> None:
        """kill, stop, start or restart a node."""
        ...

    async def partition(self, groups: Sequence[Sequence[str]]) -> None:
        """Cut the network into groups."""
        ...

    async def latency(self, sender: str, receiver: str, ms: float, loss: float, both: bool) -> None:
        """Set a link's latency and loss."""
        ...

    async def heal(self) -> None:
        """Back to a healthy network."""
        ...

    async def redeploy(self, app: str) -> None:
        """Rebuild an app and switch every node to it."""
        ...

    async def reset(self, context: str) -> None:
        """Start a context afresh (its state is lost)."""
        ...

    def snapshots(self) -> list[str]:
        """The names of the whole snapshots in the cluster's data dir."""
        ...

    async def save_snapshot(self, name: str) -> None:
        """Snapshot every node as ``name``."""
        ...

    async def restore_snapshot(self, name: str) -> None:
        """Put every node back to snapshot ``name``, converged."""
        ...


def snapshot_names(data_dir: Path) -> list[str]:
    """The snapshots of ``data_dir`` that can be restored (damaged ones left out)."""
    return [s.name for s in list_snapshots(data_dir) if s.manifest is not None]


class _Reads:
    """Reads shared by both sources: they go straight to the nodes."""

    access: Any  # ClusterAccess

    def refs(self) -> list[NodeRef]:
        return list(self.access.refs())

    def node_names(self) -> list[str]:
        return [ref.name for ref in self.refs()]

    def contexts(self) -> dict[str, str]:
        return dict(self.access.contexts)

    async def status(self) -> ClusterStatus:
        status: ClusterStatus = await self.access.status()
        return status

    async def call(
        self, node: str, method: str, args: Any, context: str | None = None
    ) -> dict[str, Any]:
        result: dict[str, Any] = await self.access.call_traced(node, method, args, context)
        return result

    async def delta(self, node: str, delta_id: str, context: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = await self.access.delta(node, delta_id, context)
        return found

    async def recent_deltas(
        self, node: str, context: str | None = None, limit: int = 64
    ) -> dict[str, Any]:
        found: dict[str, Any] = await self.access.recent_deltas(node, context, limit)
        return found


class LocalSource(_Reads):
    """The cluster this process owns."""

    owner = True

    def __init__(self, cluster: Cluster) -> None:
        """Drive ``cluster``."""
        self.access = self.cluster = cluster
        self.cluster_id = cluster.cluster_id

    def log_files(self) -> dict[str, Path]:
        nodes = self.cluster.data_dir / "nodes"
        return {name: nodes / name / "node.log" for name in self.cluster.node_names}

    def public_keys(self) -> dict[str, str]:
        return {n.name: n.public_key for n in self.cluster.state().nodes if n.public_key}

    async def events(self) -> AsyncIterator[ClusterEvent]:
        subscription = self.cluster.events()
        try:
            async for event in subscription:
                yield event
        finally:
            subscription.close()

    async def apps_info(self) -> list[dict[str, Any]]:
        return self.cluster.apps_info()

    async def node_action(self, node: str, action: str) -> None:
        if action not in NODE_ACTIONS:
            raise ValueError(f"unknown node action {action!r}")
        self.cluster.node(node)
        await getattr(self.cluster, action)(node)

    async def partition(self, groups: Sequence[Sequence[str]]) -> None:
        await self.cluster.partition(groups)

    async def latency(self, sender: str, receiver: str, ms: float, loss: float, both: bool) -> None:
        await self.cluster.latency(sender, receiver, ms, loss, both)

    async def heal(self) -> None:
        await self.cluster.heal()

    async def redeploy(self, app: str) -> None:
        await self.cluster.redeploy(app)

    async def reset(self, context: str) -> None:
        await self.cluster.reset(context)

    def snapshots(self) -> list[str]:
        return snapshot_names(self.cluster.data_dir)

    async def save_snapshot(self, name: str) -> None:
        await self.cluster.save_snapshot(name)

    async def restore_snapshot(self, name: str) -> None:
        await self.cluster.restore_snapshot(name)


class RemoteSource(_Reads):
    """A cluster another process owns, driven through its control endpoint."""

    owner = False

    def __init__(self, remote: RemoteCluster) -> None:
        """Drive ``remote``."""
        self.access = self.remote = remote
        self.cluster_id = remote.cluster_id
        self._stamp = self._state_stamp()

    def refs(self) -> list[NodeRef]:
        self._reread()
        return super().refs()

    def _state_stamp(self) -> float:
        try:
            return (self.remote.state.data_dir / STATE_FILE).stat().st_mtime
        except OSError:
            return 0.0

    def _reread(self) -> None:
        """Follow ``cluster.json``: a restarted node has a new pid (the manager rewrites it)."""
        stamp = self._state_stamp()
        if stamp == self._stamp:
            return
        with contextlib.suppress(ClusterError):  # mid-shutdown: keep what we had
            self.access = self.remote = type(self.remote).attach(self.remote.state.data_dir)
        self._stamp = stamp

    def log_files(self) -> dict[str, Path]:
        return {node.name: node.home / "node.log" for node in self.remote.state.nodes}

    def public_keys(self) -> dict[str, str]:
        return {n.name: n.public_key for n in self.remote.state.nodes if n.public_key}

    def events(self) -> AsyncIterator[ClusterEvent]:
        return self.remote.events()

    async def apps_info(self) -> list[dict[str, Any]]:
        return await self.remote.apps_info()

    async def node_action(self, node: str, action: str) -> None:
        await self.remote.node_action(node, action)

    async def partition(self, groups: Sequence[Sequence[str]]) -> None:
        await self.remote.partition([list(group) for group in groups])

    async def latency(self, sender: str, receiver: str, ms: float, loss: float, both: bool) -> None:
        await self.remote.latency(sender, receiver, ms, loss, both)

    async def heal(self) -> None:
        await self.remote.heal()

    async def redeploy(self, app: str) -> None:
        await self.remote.control("POST", f"/apps/{app}/redeploy", {})

    async def reset(self, context: str) -> None:
        await self.remote.reset(context)

    def snapshots(self) -> list[str]:
        return snapshot_names(self.remote.state.data_dir)

    async def save_snapshot(self, name: str) -> None:
        await self.remote.save_snapshot(name)

    async def restore_snapshot(self, name: str) -> None:
        await self.remote.restore_snapshot(name)
