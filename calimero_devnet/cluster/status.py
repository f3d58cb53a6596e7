"""Provides the cluster's status: what every node says about every context, judged and drawn.

``collect_status`` asks each running node over HTTP (used by the manager and by ``devnet
status`` in another terminal alike); ``judge`` decides convergence (SYNC.md: same heads,
same root, nothing pending on every node that has the context); a node that differs is
told ahead, behind or diverged (``standing.py``); ``render_table`` draws it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from calimero_devnet.cluster import standing
from calimero_devnet.cluster.nodeclient import NodeClient
from calimero_devnet.errors import ClusterError


@dataclass(frozen=True, slots=True)
class NodeRef:
    """Where a node is: ``url`` is None (and ``running`` False) while it is down."""

    name: str
    url: str | None
    pid: int | None
    running: bool
    remote: str | None = None  # the machine of a node that joined from elsewhere


@dataclass(frozen=True, slots=True)
class ContextView:
    """One node's record of one context (``error`` set when the node could not say)."""

    node: str
    context: str
    app_id: str | None = None
    heads: tuple[str, ...] = ()
    root: str | None = None
    pending: int = 0
    error: str | None = None
    converged: bool = False
    standing: str | None = None  # if asked, when not converged: ahead, behind, diverged…


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """Every node, every context view, and per context whether it has converged."""

    cluster_id: str
    nodes: tuple[NodeRef, ...]
    views: tuple[ContextView, ...]
    contexts: Mapping[str, str]  # name -> id
    apps: Mapping[str, str]  # name -> current application id
    converged: Mapping[str, bool]  # context name -> converged
    bus: Mapping[str, Any] = field(default_factory=dict)  # node -> its bus link (JSON)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form (``devnet status --json``)."""
        return {
            "clusterId": self.cluster_id, "nodes": [asdict(node) for node in self.nodes],
            "views": [asdict(view) for view in self.views], "contexts": dict(self.contexts),
            "apps": dict(self.apps), "converged": dict(self.converged), "bus": dict(self.bus),
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClusterStatus:
        """Parse what ``to_json`` wrote; keys it does not know are ignored (a newer writer's).

        Raises:
            ValueError: a key is missing or a part is not of its shape, named.
        """
        try:
            nodes = tuple(NodeRef(**_known(NodeRef, node)) for node in data["nodes"])
            views = tuple(_view_from_json(view) for view in data["views"])
            return cls(str(data["clusterId"]), nodes, views, dict(data["contexts"]),
                       dict(data["apps"]), dict(data["converged"]),
                       dict(data.get("bus") or {}))  # fmt: skip
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a cluster status: {type(exc).__name__} {exc}") from exc


def _known(cls: type[Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of ``data`` that are fields of the dataclass ``cls``."""
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def _view_from_json(data: Mapping[str, Any]) -> ContextView:
    view = ContextView(**_known(ContextView, data))
    return replace(view, heads=tuple(view.heads))  # JSON has lists; the view holds a tuple


NOT_HERE = "does not have this context"  # a node's answer, unlike a timeout or a refusal


def judge(views: Sequence[ContextView]) -> tuple[bool, list[str]]:
    """Converged? and what differs, over the views of one context that found it."""
    problems = [f"{v.node}: {v.error}" for v in views if v.error is not None]
    answered = [v for v in views if v.error is None]
    problems += [f"{v.node}: {v.pending} delta(s) pending" for v in answered if v.pending]
    if answered:
        common, _ = Counter((v.heads, v.root) for v in answered).most_common(1)[0]
        problems += [
            f"{v.node}: heads {_ids(v.heads)} root {_id(v.root)} where most have "
            f"heads {_ids(common[0])} root {_id(common[1])}"
            for v in answered if (v.heads, v.root) != common
        ]  # fmt: skip
    return not problems and bool(answered), problems


async def _view(client: NodeClient, name: str, context_id: str) -> ContextView:
    try:
        data = await client.context(context_id)
    except ClusterError as exc:
        return ContextView(client.name, name, error=str(exc))
    if data is None:
        return ContextView(client.name, name, error=NOT_HERE)
    return ContextView(
        client.name, name, data.get("applicationId"), tuple(sorted(data.get("dagHeads", []))),
        data.get("rootHash"), int(data.get("pending", 0)),
    )  # fmt: skip


async def collect_status(
    cluster_id: str, nodes: Sequence[NodeRef], contexts: Mapping[str, str],
    apps: Mapping[str, str], timeout: float = 5.0,  # noqa: ASYNC109  (each node's answer)
    *, standing: bool = False, token: str | None = None,
) -> ClusterStatus:  # fmt: skip
    """Ask every running node about every context, concurrently, and judge convergence.

    A node that does not answer within ``timeout`` s is in the views with that error. With
    ``standing``, each view that differs says whether its node is ahead, behind or diverged.
    """
    clients = [NodeClient(n.name, n.url, timeout, token) for n in nodes if n.running and n.url]
    try:
        asks = [_view(c, name, cid) for name, cid in contexts.items() for c in clients]
        views, links = await asyncio.gather(asyncio.gather(*asks), _links(clients))
        marked = [_mark(v, _common(views, v.context)) for v in views]
        if standing:
            marked = list(await _placed(marked, {c.name: c for c in clients}, contexts))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    verdicts: dict[str, bool] = {}
    for name in contexts:
        verdicts[name], _ = judge([v for v in views if v.context == name])
    return ClusterStatus(
        cluster_id, tuple(nodes), tuple(marked), dict(contexts), dict(apps), verdicts, links
    )


async def _links(clients: Sequence[NodeClient]) -> dict[str, Any]:
    """Each node's bus link as its health reply says (left out: no answer, or no broker)."""

    async def link(client: NodeClient) -> Any:
        try:
            return (await client.admin("GET", "health")).get("bus")
        except (ClusterError, AttributeError):
            return None

    answers = await asyncio.gather(*(link(client) for client in clients))
    return {c.name: bus for c, bus in zip(clients, answers, strict=True) if bus is not None}


Key = tuple[tuple[str, ...], str | None]


def _common(views: Sequence[ContextView], context: str) -> Key | None:
    """The (heads, root) most nodes report for ``context``."""
    keys = [(v.heads, v.root) for v in views if v.context == context and v.error is None]
    return Counter(keys).most_common(1)[0][0] if keys else None


def _mark(view: ContextView, common: Key | None) -> ContextView:
    fine = view.error is None and view.pending == 0 and (view.heads, view.root) == common
    return replace(view, converged=fine)


async def _placed(
    views: Sequence[ContextView], clients: Mapping[str, NodeClient], contexts: Mapping[str, str]
) -> tuple[ContextView, ...]:
    """``views`` with the standing of each that differs from its context's common view."""
    slices: dict[tuple[str, str], asyncio.Future[standing.Known | None]] = {}

    def known(node: str, context_id: str) -> asyncio.Future[standing.Known | None]:
        if (node, context_id) not in slices:  # each node's slice is asked for once
            ask = standing.known_deltas(clients[node], context_id)
            slices[node, context_id] = asyncio.ensure_future(ask)
        return slices[node, context_id]

    async def place(view: ContextView) -> ContextView:
        common = _common(views, view.context)
        if view.converged or view.error is not None or common is None:
            return view
        if view.heads == common[0]:  # same deltas: waiting on pending ones, or another state
            return replace(view, standing=standing.BEHIND if view.root == common[1]
                           else standing.DIVERGED)  # fmt: skip
        peer = next(v for v in views if v.context == view.context and v.error is None
                    and (v.heads, v.root) == common)  # fmt: skip
        context_id = contexts[view.context]
        mine, theirs = await asyncio.gather(
            known(view.node, context_id), known(peer.node, context_id)
        )
        return replace(view, standing=standing.standing(mine, theirs, view.heads, common[0]))

    return tuple(await asyncio.gather(*(place(view) for view in views)))


def _id(value: str | None) -> str:
    return value[:8] if value else "-"


def _ids(values: Sequence[str]) -> str:
    return ",".join(v[:8] for v in values) or "-"


def _app_label(app_id: str | None, apps: Mapping[str, str]) -> str:
    if app_id is None:
        return "-"
    name = next((name for name, current in apps.items() if current == app_id), None)
    return name or f"old {app_id[:8]}"


def render_table(status: ClusterStatus) -> str:
    """The status as an aligned text table plus one verdict line per context."""
    header = ("NODE", "STATE", "PID", "RPC", "CONTEXT", "APP", "HEADS", "ROOT", "PENDING", "SYNC")
    rows: list[tuple[str, ...]] = [header]
    for node in status.nodes:
        views: list[ContextView | None] = [v for v in status.views if v.node == node.name]
        rows += [_row(node, view, status.apps) for view in views or [None]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]  # fmt: skip
    for name, cid in status.contexts.items():
        verdict = "converged" if status.converged.get(name) else "NOT converged"
        lines.append(f"{name} ({cid}): {verdict}")
    return "\n".join(lines)


def _row(node: NodeRef, view: ContextView | None, apps: Mapping[str, str]) -> tuple[str, ...]:
    state = "running" if node.running else "down"
    if node.remote is not None:
        state = f"{'ready' if node.running else 'gone'} (remote: {node.remote})"
    base = (node.name, state, str(node.pid or "-"), node.url or "-")
    if view is None:
        return (*base, "-", "-", "-", "-", "-", "-")
    if view.error is not None:
        return (*base, view.context, "-", "-", "-", "-", f"? {view.error}")
    sync = "ok" if view.converged else (view.standing or standing.UNKNOWN)
    return (*base, view.context, _app_label(view.app_id, apps), _ids(view.heads),
            _id(view.root), str(view.pending), sync)  # fmt: skip
