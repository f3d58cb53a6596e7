"""Provides ``FakeSource``: a cluster in memory for UI logic tests, deterministic to the byte.

It speaks the UI's ``ClusterSource`` seam with the real event types and feed shapes: a
``set`` on a node makes a delta that the nodes of the same partition group apply at once
(others lack it until ``heal``, when they catch up and a merge may follow), node actions
change process states, and network actions publish rules. Every action is recorded in
``actions``; ``fail_next`` makes the next action raise a ``ClusterError`` with that message,
as a manager or node would. Nothing real runs: for real parts use the integration tests.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from calimero_devnet.cluster.events import (
    AppDeployed,
    BuildFinished,
    ClusterEvent,
    ClusterReady,
    FeedMessage,
    NetChanged,
    NodeKilled,
    StatusPolled,
)
from calimero_devnet.cluster.processes.node_events import NodeReady, NodeStopped
from calimero_devnet.cluster.status import ClusterStatus, ContextView, NodeRef, judge
from calimero_devnet.errors import ClusterError, MethodNotFound
from calimero_devnet.testing.fake_parts import APP, MANIFEST, FakeDelta, FakeNode, fake_id


class FakeSource:
    """See the module docstring."""

    cluster_id = "devnet"

    def __init__(self, nodes: int = 3, *, owner: bool = False, now: float = 1_800_000_000.0):
        """``nodes`` nodes named node-1…, ready, with one context ``kv-store``."""
        self.owner = owner
        self.now = now
        self.nodes = {f"node-{i}": FakeNode(f"node-{i}", i) for i in range(1, nodes + 1)}
        self.context_id = fake_id("context")
        self.app_id = fake_id("app", 1)
        self.deltas: dict[str, FakeDelta] = {}
        self.groups: list[list[str]] = []
        self.actions: list[tuple[Any, ...]] = []
        self.fail_next: str | None = None
        self.saved: set[str] = set()  # snapshot names
        self.queue: asyncio.Queue[ClusterEvent | None] = asyncio.Queue()

    # --- the stream ----------------------------------------------------------------------
    def emit(self, event: ClusterEvent) -> None:
        """Send ``event`` to the UI."""
        self.queue.put_nowait(event)

    def start_up(self) -> None:
        """What a cluster says as it comes up: nodes ready, app built and deployed, ready."""
        for node in self.nodes.values():
            self.emit(
                NodeReady(
                    node.name, "127.0.0.1", 2427 + node.index, node.key, 40000 + node.index, 0.4
                )
            )
        self.emit(BuildFinished(APP, 0.21))
        self.emit(AppDeployed(APP, self.app_id, 1, tuple(self.nodes)))
        self.emit(ClusterReady(1.2, tuple(self.nodes), ((APP, self.context_id),)))
        self.emit(StatusPolled(self._status()))

    async def events(self) -> AsyncIterator[ClusterEvent]:
        while (event := await self.queue.get()) is not None:
            yield event

    def close(self) -> None:
        """End the stream (the cluster went away)."""
        self.queue.put_nowait(None)

    # --- reads ---------------------------------------------------------------------------
    def node_names(self) -> list[str]:
        return list(self.nodes)

    def refs(self) -> list[NodeRef]:
        return [
            NodeRef(
                n.name,
                f"http://127.0.0.1:{2427 + n.index}" if n.running else None,
                40000 + n.index if n.running else None,
                n.running,
            )
            for n in self.nodes.values()
        ]

    def contexts(self) -> dict[str, str]:
        return {APP: self.context_id}

    def log_files(self) -> dict[str, Path]:
        return {}

    def public_keys(self) -> dict[str, str]:
        return {name: node.key for name, node in self.nodes.items()}

    async def status(self) -> ClusterStatus:
        return self._status()

    def _status(self) -> ClusterStatus:
        views = tuple(
            ContextView(
                n.name,
                APP,
                self.app_id,
                tuple(sorted(n.heads)),
                fake_id("root", tuple(sorted(n.values.items()))),
                0,
            )
            for n in self.nodes.values()
            if n.running
        )
        converged, _ = judge(list(views))
        common = Counter((v.heads, v.root) for v in views).most_common(1)[0][0] if views else None
        marked = tuple(
            ContextView(
                v.node,
                v.context,
                v.app_id,
                v.heads,
                v.root,
                0,
                converged=(v.heads, v.root) == common,
            )
            for v in views
        )
        return ClusterStatus(
            self.cluster_id,
            tuple(self.refs()),
            marked,
            {APP: self.context_id},
            {APP: self.app_id},
            {APP: converged},
        )

    async def apps_info(self) -> list[dict[str, Any]]:
        return [
            {
                "name": APP,
                "appId": self.app_id,
                "version": 1,
                "kind": "typescript",
                "path": "templates/kv-store",
                "manifest": MANIFEST,
            }
        ]

    async def delta(self, node: str, delta_id: str, context: str | None = None) -> dict[str, Any]:
        self._check(("delta", node, delta_id))
        found = self.deltas.get(delta_id)
        if found is None or delta_id not in self.nodes[node].have:
            raise ClusterError(f"{node}: delta {delta_id} is not stored on this node")
        return {
            "id": found.id,
            "contextId": self.context_id,
            "author": self.nodes[found.author].key,
            "parents": list(found.parents),
            "hlc": {"time": found.seq, "node": "7"},
            "kind": "host-actions",
            "payloadSize": 64,
            "payloadHex": "01" * 64,
            "actions": [f'items["{found.key}"] = "{found.value}"'],
            "events": [],
            "maxTimeNow": found.seq,
            "signatureValid": True,
        }

    async def recent_deltas(
        self, node: str, context: str | None = None, limit: int = 64
    ) -> dict[str, Any]:
        have = sorted((self.deltas[d] for d in self.nodes[node].have), key=lambda d: -d.seq)
        rows = [
            {
                "id": d.id,
                "author": self.nodes[d.author].key,
                "parents": list(d.parents),
                "hlc": {"time": d.seq, "node": "7"},
                "kind": "host-actions",
                "summary": f'items["{d.key}"] = "{d.value}"' if d.key else "merge",
            }
            for d in have[:limit]
        ]
        return {
            "heads": list(self.nodes[node].heads),
            "deltas": rows,
            "truncated": len(have) > limit,
        }

    # --- calls ---------------------------------------------------------------------------
    async def call(
        self, node: str, method: str, args: Any, context: str | None = None
    ) -> dict[str, Any]:
        self._check(("call", node, method, json.dumps(args, sort_keys=True)))
        target = self.nodes[node]
        if not target.running:
            raise ClusterError(f"{node} is not running: start it with `devnet start {node}`")
        if method == "get":
            return {"output": target.values.get(str(args.get("key"))), "trace": _trace(None)}
        if method == "len":
            return {"output": len(target.values), "trace": _trace(None)}
        if method != "set":
            raise MethodNotFound(f"method {method!r} is not exported by the application")
        delta = self._author(node, str(args["key"]), str(args["value"]))
        return {"output": None, "trace": _trace(delta.id)}

    def _author(self, node: str, key: str, value: str) -> FakeDelta:
        author = self.nodes[node]
        delta = FakeDelta(
            fake_id("delta", len(self.deltas)), node, author.heads, key, value, len(self.deltas) + 1
        )
        self.deltas[delta.id] = delta
        self._apply(author, delta)
        self._feed(
            node,
            "authored",
            delta=delta.id,
            parents=list(delta.parents),
            kind="host-actions",
            summary=[f'items["{key}"] = "{value}"'],
            actions=1,
            author=author.key,
        )
        for peer in self._reachable(node):
            self._apply(peer, delta)
            self._feed(peer.name, "applied", **{"from": node}, count=1, deltas=[delta.id])
        self.emit(StatusPolled(self._status()))
        return delta

    @staticmethod
    def _apply(node: FakeNode, delta: FakeDelta) -> None:
        node.have.add(delta.id)
        if delta.key:
            node.values[delta.key] = delta.value
        node.heads = tuple(sorted((set(node.heads) - set(delta.parents)) | {delta.id}))

    def _reachable(self, node: str) -> list[FakeNode]:
        group = next((g for g in self.groups if node in g), None)
        if group is None and self.groups:
            named = {n for g in self.groups for n in g}
            group = [n for n in self.nodes if n not in named]
        return [
            peer
            for peer in self.nodes.values()
            if peer.name != node and peer.running and (group is None or peer.name in group)
        ]

    def _feed(self, node: str, name: str, **fields: Any) -> None:
        item = {"event": name, "ts": int(self.now * 1000), "context": self.context_id, **fields}
        self.emit(FeedMessage(node, (item,)))

    # --- actions -------------------------------------------------------------------------
    def _check(self, action: tuple[Any, ...]) -> None:
        self.actions.append(action)
        if self.fail_next is not None:
            message, self.fail_next = self.fail_next, None
            raise ClusterError(message)

    async def node_action(self, node: str, action: str) -> None:
        self._check(("node", node, action))
        if node not in self.nodes:
            raise ClusterError(
                f"no node named {node!r} in this cluster (nodes: {', '.join(self.nodes)})"
            )
        target = self.nodes[node]
        if action in {"kill", "stop"}:
            target.running = False
            self.emit(NodeKilled(node) if action == "kill" else NodeStopped(node, 0, 0.1))
        else:
            target.running = True
            self.emit(
                NodeReady(
                    node, "127.0.0.1", 2427 + target.index, target.key, 40000 + target.index, 0.4
                )
            )
            self._catch_up()
        self.emit(StatusPolled(self._status()))

    async def partition(self, groups: Sequence[Sequence[str]]) -> None:
        self._check(("partition", tuple(tuple(g) for g in groups)))
        self.groups = [list(g) for g in groups]
        text = "partitions " + " | ".join(",".join(g) for g in self.groups)
        self.emit(
            NetChanged(
                text, {"partitions": self.groups, "links": {}, "seed": 0, "disconnected": []}
            )
        )

    async def latency(self, sender: str, receiver: str, ms: float, loss: float, both: bool) -> None:
        self._check(("latency", sender, receiver, ms, loss, both))
        link = {f"{sender}>{receiver}": {"latency_ms": ms, "loss": loss}}
        self.emit(
            NetChanged(
                f"{sender}>{receiver} {ms:g} ms",
                {"partitions": self.groups, "links": link, "seed": 0, "disconnected": []},
            )
        )

    async def heal(self) -> None:
        self._check(("heal",))
        self.groups = []
        self.emit(
            NetChanged(
                "healthy (no partition, no link fault)",
                {"partitions": [], "links": {}, "seed": 0, "disconnected": []},
            )
        )
        self._catch_up()
        self.emit(StatusPolled(self._status()))

    def _catch_up(self) -> None:
        """Every reachable node gets every delta; diverged heads are merged by node-1."""
        for delta in sorted(self.deltas.values(), key=lambda d: d.seq):
            for node in self.nodes.values():
                if node.running and delta.id not in node.have and not self.groups:
                    self._apply(node, delta)
                    self._feed(
                        node.name, "applied", **{"from": delta.author}, count=1, deltas=[delta.id]
                    )
        first = next((n for n in self.nodes.values() if n.running), None)
        if first is not None and len(first.heads) > 1 and not self.groups:
            self._author(first.name, "", "")

    async def redeploy(self, app: str) -> None:
        self._check(("redeploy", app))

    async def reset(self, context: str) -> None:
        self._check(("reset", context))

    def snapshots(self) -> list[str]:
        return sorted(self.saved)

    async def save_snapshot(self, name: str) -> None:
        self._check(("snapshot save", name))
        self.saved.add(name)

    async def restore_snapshot(self, name: str) -> None:
        self._check(("snapshot restore", name))


def _trace(delta: str | None) -> dict[str, Any]:
    return {
        "logs": ["kv-store: ok"],
        "events": [],
        "fuelUsed": 5_250_000,
        "durationMs": 0.9,
        "delta": delta,
        "root": None,
    }
