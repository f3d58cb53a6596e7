"""Provides ``ClusterAccess``: what any holder of a cluster can do by talking to its nodes.

Both the manager's own handle (``handle.Cluster``) and a handle from another process
(``remote.RemoteCluster``) are one: they only differ in how they know the nodes
(``refs``) and which nodes take part in a context (``members``). Calls, status and the
convergence waits go straight to the nodes' HTTP endpoints.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import httpx

from calimero_devnet.cluster import convergence
from calimero_devnet.cluster.convergence import SAME, ConvergenceTimeout, Report
from calimero_devnet.cluster.nodeclient import NodeClient, http_client
from calimero_devnet.cluster.status import NOT_HERE, ClusterStatus, NodeRef, collect_status
from calimero_devnet.errors import ClusterError


class ClusterAccess:
    """Calls, status and waits over the nodes ``refs`` names (subclasses say where they are)."""

    cluster_id: str
    contexts: Mapping[str, str]  # context name -> id
    apps: Mapping[str, str]  # app name -> current application id
    token: str | None = None  # the bearer token the nodes want ([security] token)

    def refs(self) -> list[NodeRef]:
        """Every node of the cluster and whether (and where) it runs now."""
        raise NotImplementedError

    async def members(self, context_id: str, timeout: float = 5.0) -> list[NodeRef]:  # noqa: ASYNC109
        """The running nodes taking part in a context (default: every one that does not say
        it lacks the context). A node that does not answer (hung, stopped, overloaded) is
        kept: it may well be a member, and a wait must see it as not converged, not skip it.
        """
        running = [ref for ref in self.refs() if ref.running and ref.url]
        name = next((n for n, cid in self.contexts.items() if cid == context_id), context_id)
        status = await collect_status(
            self.cluster_id, running, {name: context_id}, self.apps, timeout, token=self.token
        )
        lacking = {v.node for v in status.views if v.error == NOT_HERE}
        return [ref for ref in running if ref.name not in lacking]

    def context_id(self, context: str | None = None) -> str:
        """The id of the context named ``context`` (or given by id); default: the only one.

        Raises:
            ClusterError: no such context, or several and none named.
        """
        if context is None:
            if len(self.contexts) == 1:
                return next(iter(self.contexts.values()))
            names = ", ".join(self.contexts) or "none"
            raise ClusterError(f"this cluster has several contexts ({names}): name one")
        if context in self.contexts:
            return self.contexts[context]
        if context in self.contexts.values():
            return context
        names = ", ".join(self.contexts) or "none"
        raise ClusterError(f"no context named {context!r} in this cluster (contexts: {names})")

    def node(self, name: str) -> NodeRef:
        """The node called ``name``, running or not.

        Raises:
            ClusterError: no such node (naming the nodes there are).
        """
        for ref in self.refs():
            if ref.name == name:
                return ref
        known = ", ".join(ref.name for ref in self.refs())
        raise ClusterError(f"no node named {name!r} in this cluster (nodes: {known})")

    async def call(
        self, node: str, method: str, args: Any = None, context: str | None = None
    ) -> Any:
        """Run ``method(args)`` on ``node`` in a context (default: the only one).

        Raises:
            NodeError: the node's JSON-RPC error (``MethodNotFound``, ``FunctionCallError``...).
            ClusterError: the node is down or unknown.
        """
        async with self._running_client(node) as client:
            return await client.execute(self.context_id(context), method, args)

    async def call_traced(
        self, node: str, method: str, args: Any = None, context: str | None = None
    ) -> dict[str, Any]:
        """Run ``method(args)`` traced (devnet): ``{"output", "trace": {logs, events, ...}}``.

        Raises:
            NodeError, ClusterError: as ``call``.
        """
        async with self._running_client(node) as client:
            result: dict[str, Any] = await client.execute_traced(
                self.context_id(context), method, args
            )
            return result

    async def delta(self, node: str, delta_id: str, context: str | None = None) -> dict[str, Any]:
        """One stored delta as ``node`` holds it, decoded (``NodeClient.delta``).

        Raises:
            AdminError: 404 when the node stores no body of it.
            ClusterError: the node is down or unknown.
        """
        async with self._running_client(node) as client:
            return await client.delta(self.context_id(context), delta_id)

    async def recent_deltas(
        self, node: str, context: str | None = None, limit: int = 64
    ) -> dict[str, Any]:
        """``node``'s heads and newest ``limit`` stored deltas (``NodeClient.recent_deltas``).

        Raises:
            ClusterError: the node is down or unknown.
        """
        async with self._running_client(node) as client:
            return await client.recent_deltas(self.context_id(context), limit)

    @contextlib.asynccontextmanager
    async def _running_client(self, node: str) -> AsyncIterator[NodeClient]:
        """A client of ``node``, which must be running."""
        ref = self.node(node)
        if not ref.running or ref.url is None:
            raise ClusterError(f"{node} is not running: start it with `devnet start {node}`")
        async with self._node_client(ref.name, ref.url) as client:
            yield client

    @contextlib.asynccontextmanager
    async def _node_client(self, name: str, url: str) -> AsyncIterator[NodeClient]:
        """A client of one node for one call (a long-lived owner may hand out a kept one)."""
        async with NodeClient(name, url, token=self.token) as client:
            yield client

    async def status(self, *, standing: bool = False) -> ClusterStatus:
        """What every running node says about every context, with convergence judged (and,
        with ``standing``, whether a node that differs is ahead, behind or diverged: a few
        more requests, so the manager's frequent polls go without)."""
        return await collect_status(
            self.cluster_id,
            self.refs(),
            self.contexts,
            self.apps,
            standing=standing,
            token=self.token,
        )

    async def wait_converged(
        self,
        timeout: float = 30.0,  # noqa: ASYNC109  (a deadline for polling)
        context: str | None = None,
    ) -> list[Report]:
        """Wait until the running members of each context (or the named one) agree.

        Raises:
            ConvergenceTimeout: naming the node that differs and how.
        """
        reports = []
        deadline = time.monotonic() + timeout
        for cid in self._context_ids(context):
            async with self._member_clients(cid, deadline) as (clients, names):
                left = max(deadline - time.monotonic(), 0.0)
                try:
                    reports.append(await convergence.wait_converged(clients, cid, left))
                except ConvergenceTimeout as exc:
                    raise ConvergenceTimeout(_renamed(exc.report, names)) from None
        return reports

    async def wait_value(
        self, method: str, args: Any = None, timeout: float = 30.0,  # noqa: ASYNC109
        *, expected: Any = SAME, context: str | None = None,
    ) -> Report:  # fmt: skip
        """Wait until ``method(args)`` returns the same value (or ``expected``) on every member.

        Raises:
            ConvergenceTimeout: with every node's last answer.
        """
        cid = self.context_id(context)
        deadline = time.monotonic() + timeout
        async with self._member_clients(cid, deadline) as (clients, names):
            left = max(deadline - time.monotonic(), 0.0)
            try:
                return await convergence.wait_value(
                    clients, cid, method, args, expected=expected, timeout=left
                )
            except ConvergenceTimeout as exc:
                raise ConvergenceTimeout(_renamed(exc.report, names)) from None

    def _context_ids(self, context: str | None) -> Sequence[str]:
        return [self.context_id(context)] if context is not None else list(self.contexts.values())

    @contextlib.asynccontextmanager
    async def _member_clients(
        self, context_id: str, deadline: float
    ) -> AsyncIterator[tuple[list[httpx.AsyncClient], dict[str, str]]]:
        # Finding the members is part of the wait: a hung node must not stretch it.
        lookup = min(max(deadline - time.monotonic(), 0.0), 5.0)
        members = await self.members(context_id, max(lookup, convergence.MIN_REQUEST_S))
        if not members:
            raise ClusterError(f"no running node has context {context_id}: start a member")
        clients = [http_client(str(ref.url), 10, self.token) for ref in members]
        try:
            yield clients, {str(ref.url): ref.name for ref in members}
        finally:
            for client in clients:
                await client.aclose()


def _renamed(report: Report, names: Mapping[str, str]) -> Report:
    """``report`` with node URLs replaced by node names in what it says differs."""

    def named(text: str) -> str:
        for url, name in names.items():
            text = text.replace(url, name)
        return text

    return replace(report, differences=tuple(named(line) for line in report.differences))
