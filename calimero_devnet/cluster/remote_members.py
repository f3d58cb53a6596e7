"""Provides ``RemoteMembers``: the manager's side of nodes that joined from other machines.

The monitor hands it every presence and status message of a node the config does not
name (``remotes.RemoteNodes`` decides ready or gone). A node that becomes ready, new or
restarted, is adopted: its HTTP admin API, at the URL it announced, gets every app's bytes
(it cannot read the manager's files) and joins every context, as a local node that is a
member of all of them would (``Rollout.bring_up_to_date``); the state sync itself rides
the bus. Each change is a ``RemoteChanged`` event. Remote nodes have no process here: no
pid to show or signal (``kill`` and friends refuse them), and no store to snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection

from calimero_devnet.cluster.deploy.rollout import Rollout
from calimero_devnet.cluster.events import ClusterEvent, Problem, Step
from calimero_devnet.cluster.nodeclient import NodeClient
from calimero_devnet.cluster.remotes import READY, RemoteChanged, RemoteNodes
from calimero_devnet.cluster.status import NodeRef
from calimero_devnet.errors import ClusterError, DevnetError

log = logging.getLogger(__name__)
EXPIRE_EVERY_S = 1.0


class RemoteMembers:
    """Remote nodes of one cluster: found, adopted, their clients (see the module doc)."""

    def __init__(
        self, local: Collection[str], rollout: Rollout, emit: Callable[[ClusterEvent], None],
        on_change: Callable[[], None], token: str | None = None,
    ) -> None:  # fmt: skip
        """Adopt into ``rollout``; report with ``emit``; call ``on_change`` after each
        change (``cluster.json``); send ``token`` to the nodes."""
        self.nodes = RemoteNodes(local)
        self._rollout = rollout
        self._emit = emit
        self._on_change = on_change
        self._token = token
        self._clients: dict[str, NodeClient] = {}
        self._adopting: dict[str, asyncio.Task[None]] = {}
        self._closing: set[asyncio.Future[None]] = set()  # clients of a restarted node

    # --- what the bus says -----------------------------------------------------------------
    def on_bus(self, name: str, kind: str, payload: bytes) -> None:
        """A ``presence`` or ``status`` message of a node not in the config."""
        if kind == "presence":
            self._apply(self.nodes.on_presence(name, payload, time.monotonic()))
        else:
            self._apply(self.nodes.on_status(name, payload.decode("utf-8", "replace")))

    async def run(self) -> None:
        """Count silent nodes gone, every ``EXPIRE_EVERY_S``, until cancelled."""
        try:
            while True:
                await asyncio.sleep(EXPIRE_EVERY_S)
                for change in self.nodes.expire(time.monotonic()):
                    self._apply(change)
        finally:
            for task in self._adopting.values():
                task.cancel()

    def _apply(self, change: RemoteChanged | None) -> None:
        if change is None:
            return
        self._emit(change)
        if change.state == READY and change.fresh:
            self._rollout.everywhere.add(change.node)
            self._start_adopting(change.node, change.url)
        self._on_change()

    def _start_adopting(self, name: str, url: str) -> None:
        old = self._clients.pop(name, None)
        if old is not None:
            self._closing.add(closing := asyncio.ensure_future(old.aclose()))
            closing.add_done_callback(self._closing.discard)
        client = self._clients[name] = NodeClient(name, url, token=self._token, upload=True)
        previous = self._adopting.get(name)
        if previous is not None:
            previous.cancel()
        self._adopting[name] = asyncio.create_task(self._adopt(client), name=f"adopt-{name}")

    async def _adopt(self, client: NodeClient) -> None:
        started = time.perf_counter()
        try:
            await self._rollout.bring_up_to_date(client)
        except DevnetError as exc:
            self._emit(Problem(f"{client.name} (remote): could not install the apps or join "
                               f"the contexts: {exc}"))  # fmt: skip
            return
        took = time.perf_counter() - started
        apps, contexts = len(self._rollout.current), len(self._rollout.contexts)
        self._emit(Step(f"{client.name} (remote): {apps} app(s) installed, joined "
                        f"{contexts} context(s) in {took:.2f} s"))  # fmt: skip

    # --- what the cluster asks -------------------------------------------------------------
    def refs(self) -> list[NodeRef]:
        """Every remote node ever ready; running while its presence says so."""
        return [
            NodeRef(node.name, node.url, None, node.state == READY, node.presence.machine)
            for node in self.nodes.nodes()
        ]

    def clients(self) -> dict[str, NodeClient]:
        """A client per ready remote node."""
        ready = {ref.name for ref in self.refs() if ref.running}
        return {name: client for name, client in self._clients.items() if name in ready}

    def refuse(self, node: str, verb: str) -> None:
        """Raise ``ClusterError`` if ``node`` is remote: it is not ours to ``verb``."""
        remote = self.nodes.get(node)
        if remote is not None:
            raise ClusterError(
                f"{node} runs on {remote.presence.machine}, not here: devnet cannot {verb} it; "
                f"do it there (Ctrl-C ends its `devnet node --join`, running it again restarts it)"
            )

    def refuse_while_running(self, what: str) -> None:
        """Raise ``ClusterError`` naming ``what`` while a remote node runs: its store is not
        here to put back, and its later writes would come back over the bus."""
        running = [ref.name for ref in self.refs() if ref.running]
        if running:
            names = ", ".join(running)
            raise ClusterError(f"cannot {what}: remote node(s) {names} run on other machines "
                               "and keep their state; stop them there first")  # fmt: skip

    async def aclose(self) -> None:
        """Stop adopting and close the clients."""
        for task in self._adopting.values():
            task.cancel()
        await asyncio.gather(*self._adopting.values(), return_exceptions=True)
        clients, self._clients = list(self._clients.values()), {}
        await asyncio.gather(*(client.aclose() for client in clients), return_exceptions=True)
