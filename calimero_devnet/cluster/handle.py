"""Provides ``Cluster``: the handle ``open_cluster`` yields to the CLI, the TUI and scenarios.

On top of ``ClusterAccess`` (calls, status, waits) it owns the cluster: node lifecycle
(``kill``, ``stop``, ``start``, ``restart``), the simulated network (``partition``,
``latency``, ``heal``), hot redeploys, snapshots (``save_snapshot``, ``restore_snapshot``),
the event stream, and ``cluster.json``.
Node and network operations run one at a time, in the order they were asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from calimero_devnet.cluster import convergence
from calimero_devnet.cluster.access import ClusterAccess
from calimero_devnet.cluster.control import netctl
from calimero_devnet.cluster.deploy.rollout import Rollout
from calimero_devnet.cluster.events import (
    AppDeployed,
    ClusterEvent,
    ContextReset,
    EventHub,
    NetChanged,
    NodeKilled,
    Step,
    Subscription,
)
from calimero_devnet.cluster.failures import NodeFailures
from calimero_devnet.cluster.nodeclient import NodeClient
from calimero_devnet.cluster.processes.broker import BrokerHandle
from calimero_devnet.cluster.processes.broker_watch import BrokerWatch
from calimero_devnet.cluster.processes.node_events import NodeExited, NodeReady
from calimero_devnet.cluster.processes.node_process import NodeProcess
from calimero_devnet.cluster.processes.statefile import ClusterState, NodeState, write_state
from calimero_devnet.cluster.processes.supervisor import STOP_GRACE_S, Supervisor
from calimero_devnet.cluster.remote_members import RemoteMembers
from calimero_devnet.cluster.snapshots import folder as disk
from calimero_devnet.cluster.snapshots import take
from calimero_devnet.cluster.snapshots.manifest import Manifest
from calimero_devnet.cluster.status import NodeRef
from calimero_devnet.config.model import DevnetConfig
from calimero_devnet.errors import ClusterError
from calimero_devnet.node.bus.broker_url import shown
from calimero_devnet.node.bus.net_rules import HEALTHY, NetRules
from calimero_devnet.node.bus.session import publish_net_rules


async def publish_rules(broker_url: str, cluster_id: str, rules: NetRules) -> None:
    """Publish the retained ``ctl/net`` rules every node obeys.

    Raises:
        ClusterError: the broker cannot be reached.
    """
    try:
        await publish_net_rules(broker_url, cluster_id, rules)
    except Exception as exc:  # aiomqtt's errors stay behind the bus seam
        raise ClusterError(
            f"cannot publish network rules to the broker at {shown(broker_url)} ({exc}): "
            "is it running, and does it take the login?"
        ) from exc


class Cluster(ClusterAccess):
    """A running cluster owned by this process (see the module docstring)."""

    def __init__(
        self, config: DevnetConfig, hub: EventHub, supervisor: Supervisor, broker_url: str,
        *, broker: BrokerHandle | None = None, grace: float = STOP_GRACE_S,
        token: str | None = None,
    ) -> None:  # fmt: skip
        """Assemble the handle; ``open_cluster`` starts what it holds (``token``: resolved)."""
        self.config = config
        self.token = token
        self.cluster_id = config.cluster.name
        self.data_dir: Path = config.cluster.data_dir
        self.broker_url = broker_url
        self.rules: NetRules = HEALTHY
        self.exits = NodeFailures()  # nodes that died without being asked to
        self.control_url: str | None = None
        self.rollout = Rollout(config, hub.emit)
        self.contexts = self.rollout.contexts
        self._hub = hub
        self._supervisor = supervisor
        self._broker = broker
        self.broker_watch = BrokerWatch(broker, shown(broker_url), hub.emit, self._republish_rules)
        self._grace = grace
        self._clients: dict[str, NodeClient] = {}
        self._deliberate: set[str] = set()
        self._ops = asyncio.Lock()
        self._closing = asyncio.Event()
        self.remotes = RemoteMembers(
            self.node_names, self.rollout, hub.emit, self._remote_changed, token
        )

    # --- what it holds ---------------------------------------------------------------------
    @property
    def failures(self) -> list[NodeExited]:
        """Every node exit of the run nobody asked for (even of nodes running again since)."""
        return self.exits.all

    @property
    def apps(self) -> dict[str, str]:  # type: ignore[override]
        """App name → the application id running now."""
        return {name: app.app_id for name, app in self.rollout.current.items()}

    def apps_info(self) -> list[dict[str, Any]]:
        """Every app: ``name``, ``appId`` and ``version`` running now, ``kind``, ``path`` (its
        sources or ``.wasm``), ``manifest`` (its ABI manifest, or None)."""
        return self.rollout.apps_info()

    @property
    def broker(self) -> BrokerHandle | None:
        """The broker process devnet started (None: an external broker)."""
        return self._broker

    @property
    def node_names(self) -> list[str]:
        """Every node of this machine, in the order of the config."""
        return [node.name for node in self.config.nodes]

    def _all_names(self) -> list[str]:
        """Every node the network rules may name: ours, then the remote ones."""
        return [*self.node_names, *(ref.name for ref in self.remotes.refs())]

    def refs(self) -> list[NodeRef]:
        """Every node and whether it runs now (from the supervisor)."""
        refs = []
        for name in self.node_names:
            proc = self._supervisor.nodes.get(name)
            # returncode: set as the exit is reported, while the watcher still runs
            running = (
                proc is not None
                and proc.running
                and proc.returncode is None
                and proc.ready is not None
            )
            pid = proc.pid if proc is not None and running else None
            refs.append(NodeRef(name, proc.url if proc and running else None, pid, running))
        return refs + self.remotes.refs()

    async def members(self, context_id: str, timeout: float = 5.0) -> list[NodeRef]:  # noqa: ASYNC109
        """The running nodes the config makes members of the context (asks none of them)."""
        names = {n for c in self.config.contexts if self.contexts.get(c.name) == context_id
                 for n in c.members} | self.rollout.everywhere  # fmt: skip
        return [ref for ref in self.refs() if ref.running and ref.name in names]

    def clients(self) -> dict[str, NodeClient]:
        """An HTTP client per running node (remote ones included)."""
        return self.local_clients() | self.remotes.clients()

    def local_clients(self) -> dict[str, NodeClient]:
        """An HTTP client per running node of this machine."""
        local = [ref for ref in self.refs() if ref.remote is None]
        for ref in local:
            if ref.running and ref.url and ref.name not in self._clients:
                self._clients[ref.name] = NodeClient(ref.name, ref.url, token=self.token)
        running = {ref.name for ref in local if ref.running}
        return {name: c for name, c in self._clients.items() if name in running}

    @contextlib.asynccontextmanager
    async def _node_client(self, name: str, url: str) -> AsyncIterator[NodeClient]:
        yield self.clients()[name]  # kept open: a scenario's thousands of calls reuse it

    # --- events ----------------------------------------------------------------------------
    def events(self) -> Subscription:
        """Every event from now on (node processes, builds, feeds, convergence, network)."""
        return self._hub.subscribe()

    def emit(self, event: ClusterEvent) -> None:
        """Report an event to every listener."""
        self._hub.emit(event)

    def on_node_event(self, event: ClusterEvent) -> None:
        """The supervisor's report: pass it on, note crashes, keep ``cluster.json`` true."""
        if isinstance(event, NodeExited) and event.name in self._deliberate:
            self._deliberate.discard(event.name)
            event = NodeKilled(event.name)
        elif isinstance(event, NodeExited):
            self.exits.exited(event)
        elif isinstance(event, NodeReady):
            self.exits.ready(event.name, time.monotonic())
        self.emit(event)
        if isinstance(event, NodeExited | NodeKilled | NodeReady) and self.contexts:
            self.write_state()

    # --- nodes -----------------------------------------------------------------------------
    async def kill(self, node: str) -> None:
        """SIGKILL ``node``, as a crash would (its data stays)."""
        async with self._ops:
            proc = self._own(node, "kill")
            self._deliberate.add(node)
            await proc.kill()
            self.write_state()

    async def stop(self, node: str) -> None:
        """Stop ``node`` politely (SIGINT, then SIGKILL after the grace period, said aloud)."""
        async with self._ops:
            await self._own(node, "stop").stop(self._grace)
            self.write_state()

    async def start(self, node: str) -> None:
        """Start a stopped node on its data and port; bring its apps up to date."""
        async with self._ops:
            proc = self._own(node, "start")
            await proc.start()
            await proc.wait_ready()
            await self._after_start(node)

    async def restart(self, node: str) -> None:
        """Stop (if running) and start ``node`` again; it catches up by deltas."""
        async with self._ops:
            await self._own(node, "restart").restart(self._grace)
            await self._after_start(node)

    def _own(self, node: str, verb: str) -> NodeProcess:
        """The process of ``node``; a remote node is refused (it is not ours to signal)."""
        self.remotes.refuse(node, verb)
        return self._supervisor[node]

    async def _after_start(self, node: str) -> None:
        client = self.clients().get(node)
        if client is not None:
            await self.rollout.bring_up_to_date(client)
        self.write_state()

    # --- network ---------------------------------------------------------------------------
    async def partition(self, groups: Sequence[Sequence[str]]) -> NetRules:
        """Cut the network into ``groups`` (nodes in none form one more group)."""
        # The groups as read back from text: a name "node-1,node-2" is two nodes, not one.
        checked = netctl.parse_groups(" / ".join(",".join(g) for g in groups), self._all_names())
        return await self._publish(netctl.partitioned(self.rules, checked))

    async def latency(
        self, sender: str, receiver: str, ms: float, loss: float = 0.0, both: bool = False
    ) -> NetRules:
        """Delay (and optionally drop a fraction of) messages from ``sender`` to ``receiver``."""
        netctl.parse_link(f"{sender}{'<>' if both else '>'}{receiver}", self._all_names())
        rules = netctl.with_link(self.rules, sender, receiver, latency_ms=ms, loss=loss, both=both)
        return await self._publish(rules)

    async def faults(
        self, pairs: Sequence[tuple[str, str]], *, latency_ms: float | None = None,
        jitter_ms: float | None = None, loss: float | None = None, seed: int | None = None,
    ) -> NetRules:  # fmt: skip
        """Set the faults given on each directed link of ``pairs`` at once, keeping the
        links' other faults; ``seed`` reseeds the loss and jitter draws."""
        for sender, receiver in pairs:
            netctl.parse_link(f"{sender}>{receiver}", self._all_names())
        rules = netctl.with_faults(self.rules, pairs, latency_ms=latency_ms,
                                   jitter_ms=jitter_ms, loss=loss, seed=seed)  # fmt: skip
        return await self._publish(rules)

    async def unpartition(self) -> NetRules:
        """Remove the partitions; link faults stay."""
        return await self._publish(netctl.partitioned(self.rules, []))

    async def heal(self) -> NetRules:
        """Remove every partition and link fault."""
        return await self._publish(netctl.healed())

    async def _republish_rules(self) -> None:
        """A broker that came back may have forgotten the retained rules: say them again."""
        await publish_rules(self.broker_url, self.cluster_id, self.rules)

    async def _publish(self, rules: NetRules) -> NetRules:
        async with self._ops:
            await publish_rules(self.broker_url, self.cluster_id, rules)
            self.rules = rules
            self.emit(NetChanged(netctl.describe(rules), netctl.document(rules)))
        return rules

    # --- apps ------------------------------------------------------------------------------
    async def redeploy(self, app: str) -> AppDeployed | None:
        """Rebuild ``app`` and switch every running node to it, keeping state (None: no change)."""
        return await self.rollout.redeploy(app, self.clients())

    async def reset(self, context: str) -> ContextReset:
        """Start ``context`` afresh (from ``init``, on the current build) under a new id."""
        async with self._ops:
            event = await self.rollout.reset(context, self.clients())
            self.write_state()
            return event

    # --- snapshots -------------------------------------------------------------------------
    def snapshot_facts(self) -> take.ClusterFacts:
        """What a snapshot of this cluster records beside the stores, and must match."""
        running = {name: (app.app_id, app.version) for name, app in self.rollout.current.items()}
        return take.facts_of(self.config, running, self.contexts, self.rollout.generations())

    async def save_snapshot(self, name: str) -> Manifest:
        """Save every node's store, the apps, contexts and heads as snapshot ``name``."""
        async with self._ops:
            started = time.perf_counter()
            manifest = await take.save(name, self.snapshot_facts(), self.local_clients())
        took = time.perf_counter() - started
        self.emit(Step(f"snapshot {name} saved: {len(manifest.nodes)} nodes, "
                       f"{len(manifest.files)} files in {took:.2f} s"))  # fmt: skip
        return manifest

    async def restore_snapshot(self, name: str, timeout: float = 60.0) -> Manifest:  # noqa: ASYNC109
        """Put every node's store of snapshot ``name`` back and wait until converged; a
        snapshot that does not fit, or is damaged, is refused before any node stops."""
        async with self._ops:
            started = time.perf_counter()
            self.remotes.refuse_while_running(f"restore snapshot {name}")
            facts = self.snapshot_facts()
            folder, manifest = await asyncio.to_thread(take.checked, name, facts)
            self.emit(Step(f"restoring snapshot {name}: stopping every node"))
            await self._supervisor.stop_all(self._grace)
            try:
                await asyncio.to_thread(disk.put_back, folder, manifest, dict(facts.homes))
                await self.rollout.adopt(manifest.contexts, manifest.generations)
            finally:  # a failed copy (a full disk) must not leave the cluster down
                await asyncio.gather(*(self._start_node(node) for node in self.node_names))
                for client in self.clients().values():
                    await self.rollout.bring_up_to_date(client)  # a newer build goes on top
                self.write_state()
        await self._converge_restored(manifest, timeout)
        took = time.perf_counter() - started
        self.emit(Step(f"snapshot {name} restored on {len(manifest.nodes)} nodes, converged, "
                       f"in {took:.2f} s"))  # fmt: skip
        return manifest

    async def _converge_restored(self, manifest: Manifest, timeout: float) -> None:  # noqa: ASYNC109
        """Wait until the nodes holding each context of ``manifest`` agree on it (the
        holders, not the configured members: a workflow's steps make contexts too)."""
        deadline = time.monotonic() + timeout
        clients = self.clients()
        for cid in manifest.contexts.values():
            holders = [clients[node.name].http for node in manifest.nodes
                       if cid in node.heads and node.name in clients]  # fmt: skip
            if holders:
                await convergence.wait_converged(holders, cid, max(deadline - time.monotonic(), 0))

    async def _start_node(self, node: str) -> None:
        proc = self._supervisor[node]
        await proc.start()
        await proc.wait_ready()

    # --- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Ask the owner of the cluster to shut it down (``wait_closed`` returns)."""
        self._closing.set()

    async def wait_closed(self) -> None:
        """Wait until ``close`` is called."""
        await self._closing.wait()

    async def force_stop(self) -> None:
        """SIGKILL every node and the broker now (the second Ctrl-C)."""
        self.broker_watch.halt()  # killed on purpose: not to be restarted
        await self._supervisor.kill_all()
        if self._broker is not None:
            await asyncio.to_thread(self._broker.kill)

    async def aclose_clients(self) -> None:
        """Close the HTTP clients."""
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(client.aclose() for client in clients), return_exceptions=True)
        await self.remotes.aclose()

    def state(self) -> ClusterState:
        """What ``cluster.json`` says about this cluster now."""
        # cluster.json never holds the broker's password ($DEVNET_BROKER_PASSWORD does)
        base = ClusterState.for_this_manager(self.cluster_id, self.data_dir,
                                             shown(self.broker_url))  # fmt: skip
        nodes = tuple(
            NodeState(ref.name, self.data_dir / "nodes" / ref.name, ref.pid, ref.url,
                      self._public_key(ref.name), ref.remote)
            for ref in self.refs()
        )  # fmt: skip
        return ClusterState(
            base.cluster_id, base.manager_pid, base.data_dir, base.broker_url, nodes,
            self.apps, dict(self.contexts), base.manager_started, self.control_url, self.token,
        )  # fmt: skip

    def write_state(self) -> None:
        """Rewrite ``cluster.json`` (atomically)."""
        write_state(self.state())

    def _remote_changed(self) -> None:
        if self.contexts:  # cluster.json exists once the first deploy is done
            self.write_state()

    def _public_key(self, name: str) -> str | None:
        remote = self.remotes.nodes.get(name)
        if remote is not None:
            return remote.presence.public_key
        proc = self._supervisor.nodes.get(name)
        return proc.ready.public_key if proc is not None and proc.ready is not None else None
