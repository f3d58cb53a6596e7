"""Provides ``fold``: one ``ClusterEvent`` folded into a ``TuiModel``, a handler per type.

Node lifecycle events set a node's state; builds, rollouts and refusals set the build
line; feed messages (a node's live stream: deltas authored and applied, app events, logs,
problems) fill the deltas, the lines and the rates. An event of a kind with no handler
becomes a cluster line, unless it is one that says nothing worth a line.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from calimero_devnet.cluster.events import (
    AppDeployed,
    BrokerBack,
    BrokerDown,
    BuildFinished,
    ClusterEvent,
    ClusterReady,
    ContextReset,
    ConvergenceChanged,
    FeedMessage,
    NetChanged,
    NodeKilled,
    NodePresence,
    NodeSwitched,
    Problem,
    StateRefused,
    Step,
)
from calimero_devnet.cluster.processes.node_events import (
    NodeExited,
    NodeReady,
    NodeStarting,
    NodeStopped,
    NodeStopping,
    StopEscalated,
)
from calimero_devnet.cluster.remotes import RemoteChanged
from calimero_devnet.tui.model import (
    DELTAS_KEPT,
    GROUP_LETTERS,
    BuildInfo,
    DeltaRecord,
    NodeInfo,
    TuiModel,
)


def fold(model: TuiModel, event: ClusterEvent, now: float) -> None:
    """Fold one event into ``model`` (unknown kinds become a cluster line)."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        if type(event).__name__ not in _QUIET:
            model.say(now, None, str(event))
        return
    handler(model, event, now)


# --- handlers, one per event type --------------------------------------------------------
def _node(model: TuiModel, name: str) -> NodeInfo:
    if name not in model.nodes:
        model.nodes[name] = NodeInfo(name)
        model.node_names.append(name)
    return model.nodes[name]


def _on_starting(model: TuiModel, event: NodeStarting, now: float) -> None:
    node = _node(model, event.name)
    node.state, node.exit_reason = "starting", None
    model.say(now, None, str(event))
    model.bump("nodes")


def _on_ready(model: TuiModel, event: NodeReady, now: float) -> None:
    node = _node(model, event.name)
    node.state, node.pid, node.port = "ready", event.pid, event.rpc_port
    node.public_key = event.public_key
    model.say(now, None, str(event))
    model.bump("nodes")


def _on_stopping(model: TuiModel, event: NodeStopping | StopEscalated, now: float) -> None:
    _node(model, event.name).state = "stopping"
    model.say(now, None, str(event), "warning" if isinstance(event, StopEscalated) else "info")
    model.bump("nodes")


def _on_stopped(model: TuiModel, event: NodeStopped, now: float) -> None:
    node = _node(model, event.name)
    node.state, node.pid, node.rss, node.cpu = "stopped", None, None, None
    model.say(now, None, str(event))
    model.bump("nodes")


def _on_exited(model: TuiModel, event: NodeExited | NodeKilled, now: float) -> None:
    node = _node(model, event.name)
    crashed = isinstance(event, NodeExited)
    node.state = "crashed" if crashed else "killed"
    node.pid, node.rss, node.cpu = None, None, None
    node.exit_reason = event.reason if isinstance(event, NodeExited) else "SIGKILL, as asked"
    model.say(now, None, str(event), "error" if crashed else "warning")
    if isinstance(event, NodeExited):
        for line in event.log_tail[-5:]:
            model.log(now, event.name, line, "error")
    model.bump("nodes")


def _on_step(model: TuiModel, event: Step, now: float) -> None:
    if not model.ready:
        model.progress = event.text
        model.bump("header")
    model.say(now, None, event.text)


def _on_problem(model: TuiModel, event: Problem, now: float) -> None:
    model.say(now, None, str(event), "error")


def _on_broker(model: TuiModel, event: BrokerDown | BrokerBack, now: float) -> None:
    down = isinstance(event, BrokerDown)
    model.broker_down = event.reason if isinstance(event, BrokerDown) else None
    model.say(now, None, str(event), "error" if down else "info")
    model.bump("header", "nodes")


def _on_built(model: TuiModel, event: BuildFinished, now: float) -> None:
    build = model.builds.setdefault(event.app, BuildInfo(event.app))
    build.seconds = event.seconds
    build.status, build.error = ("error", event.error) if event.error else ("deploying", None)
    model.say(now, None, str(event).splitlines()[0], "error" if event.error else "info")
    model.bump("build", "header")


def _on_switched(model: TuiModel, event: NodeSwitched, now: float) -> None:
    build = model.builds.setdefault(event.app, BuildInfo(event.app))
    build.status, build.switched = "deploying", (event.done, event.total)
    model.bump("build")


def _on_deployed(model: TuiModel, event: AppDeployed, now: float) -> None:
    build = model.builds.setdefault(event.app, BuildInfo(event.app))
    build.status, build.version, build.switched = "ok", event.version, None
    model.app_versions[event.app_id] = (event.app, event.version)
    build.nodes, build.failed, build.refused = event.nodes, event.failed, None
    model.say(now, None, str(event).splitlines()[0], "warning" if event.failed else "info")
    model.bump("build", "header")


def _on_refused(model: TuiModel, event: StateRefused, now: float) -> None:
    build = model.builds.setdefault(event.app, BuildInfo(event.app))
    build.status, build.refused = "refused", event
    model.say(now, None, str(event).splitlines()[0], "error")
    model.bump("build", "header")


def _on_reset(model: TuiModel, event: ContextReset, now: float) -> None:
    model.contexts[event.context] = event.new_id
    model.deltas.pop(event.context, None)
    model.say(now, None, str(event), "warning")
    model.bump("deltas", "nodes")


def _on_cluster_ready(model: TuiModel, event: ClusterReady, now: float) -> None:
    model.ready, model.ready_seconds = True, event.seconds
    for build in model.builds.values():  # the first deploy is part of being ready
        if build.status == "deploying":
            build.status, build.nodes = "ok", event.nodes
    model.contexts.update(dict(event.contexts))
    model.progress = str(event)
    model.say(now, None, str(event))
    model.bump("header", "nodes", "build")


def _on_presence(model: TuiModel, event: NodePresence, now: float) -> None:
    _node(model, event.node).online = event.status == "online"
    model.bump("nodes")


def _on_remote(model: TuiModel, event: RemoteChanged, now: float) -> None:
    node = _node(model, event.node)
    node.state, node.remote, node.port = event.state, event.machine, urlsplit(event.url).port
    model.say(now, None, str(event), "info" if event.state == "ready" else "warning")
    model.bump("nodes")


def _on_convergence(model: TuiModel, event: ConvergenceChanged, now: float) -> None:
    level = "info" if event.converged else "warning"
    model.say(now, None, str(event), level)


def _on_net(model: TuiModel, event: NetChanged, now: float) -> None:
    model.net_text = event.text
    rules = getattr(event, "rules", None)
    model.net_rules = json.loads(rules) if isinstance(rules, str) else dict(rules or {})
    groups = partition_groups(model.net_rules, model.node_names)
    for name, node in model.nodes.items():
        node.group = groups.get(name)
    model.say(now, None, str(event))
    model.bump("nodes", "header")


def partition_groups(rules: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """Node → group letter under ``rules`` (empty on a network with no partition)."""
    partitions = [list(group) for group in rules.get("partitions") or []]
    if not partitions:
        return {}
    letters = {name: GROUP_LETTERS[i % 26] for i, group in enumerate(partitions) for name in group}
    rest = GROUP_LETTERS[len(partitions) % 26]  # nodes in no group form one more group
    return {name: letters.get(name, rest) for name in names}


def _on_feed(model: TuiModel, event: FeedMessage, now: float) -> None:
    for item in event.events:
        handler = _FEED.get(str(item.get("event")))
        if handler is not None:
            handler(model, event.node, item, now)


def _context_name(model: TuiModel, context_id: Any) -> str:
    name = next((n for n, cid in model.contexts.items() if cid == context_id), None)
    return name or str(context_id)[:8]


def _feed_authored(model: TuiModel, node: str, item: dict[str, Any], now: float) -> None:
    context = _context_name(model, item.get("context"))
    raw = item.get("summary") or ()
    summary = (raw,) if isinstance(raw, str) else tuple(str(s) for s in raw)
    record = DeltaRecord(
        id=str(item.get("delta")), context=context, author=node,
        parents=tuple(str(p) for p in item.get("parents") or ()), summary=summary,
        actions=int(item.get("actions", 1) or 0), kind=str(item.get("kind", "?")),
        seen_at=now, hlc=item.get("hlc"),
    )  # fmt: skip
    _remember(model, record)
    info = _node(model, node)
    info.authored.append(now)
    info.last_delta_at = now
    model.bump("deltas", "nodes")


def _remember(model: TuiModel, record: DeltaRecord) -> None:
    record.applied_on |= model.early.pop(record.id, set())
    ring = model.deltas.setdefault(record.context, deque())
    ring.append(record)
    model.delta_index[record.id] = record
    while len(ring) > DELTAS_KEPT:
        model.delta_index.pop(ring.popleft().id, None)


def _feed_applied(model: TuiModel, node: str, item: dict[str, Any], now: float) -> None:
    info = _node(model, node)
    info.note_applied(now, int(item.get("count", 0) or 0))
    info.last_delta_at = now
    for delta in item.get("deltas") or ():
        record = model.delta_index.get(str(delta))
        if record is not None:
            record.applied_on.add(node)
        else:
            model.early.setdefault(str(delta), set()).add(node)
            while len(model.early) > DELTAS_KEPT:  # ids whose author we never hear of
                del model.early[next(iter(model.early))]
    model.bump("deltas", "nodes")


def _feed_app_event(model: TuiModel, node: str, item: dict[str, Any], now: float) -> None:
    data = item.get("data", item.get("dataHex", ""))
    origin = "" if item.get("origin") == "local" else " (from a peer)"
    model.say(now, node, f"event {item.get('kind')}: {data}{origin}")


def _feed_log(model: TuiModel, node: str, item: dict[str, Any], now: float) -> None:
    model.log(now, node, str(item.get("text", "")), str(item.get("level", "warning")))


def _feed_problem(model: TuiModel, node: str, item: dict[str, Any], now: float) -> None:
    name = item.get("event")
    text = item.get("reason") or item.get("error") or ""
    model.say(now, node, f"{name} {str(item.get('delta', ''))[:8]}: {text}", "warning")


def _feed_handler(model: TuiModel, node: str, item: dict[str, Any], now: float) -> None:
    if item.get("ok"):
        model.say(now, node, f"handler {item.get('handler')} ran")
    else:
        model.say(now, node, f"handler {item.get('handler')} failed: {item.get('error')}", "error")


def _feed_pending(model: TuiModel, node: str, item: dict[str, Any], now: float) -> None:
    missing = len(item.get("missing") or ())
    model.say(now, node, f"delta {str(item.get('delta'))[:8]} waits for {missing} parent(s)")


def _feed_joined(model: TuiModel, node: str, item: dict[str, Any], now: float) -> None:
    model.say(now, node, f"joined {_context_name(model, item.get('context'))} from a snapshot")


FeedHandler = Callable[[TuiModel, str, dict[str, Any], float], None]
_FEED: dict[str, FeedHandler] = {
    "authored": _feed_authored,
    "applied": _feed_applied,
    "event": _feed_app_event,
    "log": _feed_log,
    "rejected": _feed_problem,
    "failed": _feed_problem,
    "handler": _feed_handler,
    "pending": _feed_pending,
    "joined": _feed_joined,
}

_HANDLERS: dict[type, Callable[[TuiModel, Any, float], None]] = {
    NodeStarting: _on_starting,
    NodeReady: _on_ready,
    NodeStopping: _on_stopping,
    StopEscalated: _on_stopping,
    NodeStopped: _on_stopped,
    NodeExited: _on_exited,
    NodeKilled: _on_exited,
    Step: _on_step,
    Problem: _on_problem,
    BuildFinished: _on_built,
    NodeSwitched: _on_switched,
    AppDeployed: _on_deployed,
    StateRefused: _on_refused,
    ContextReset: _on_reset,
    ClusterReady: _on_cluster_ready,
    FeedMessage: _on_feed,
    NodePresence: _on_presence,
    RemoteChanged: _on_remote,
    ConvergenceChanged: _on_convergence,
    NetChanged: _on_net,
    BrokerDown: _on_broker,
    BrokerBack: _on_broker,
}
# Events that change the model through ``apply_status`` or say nothing worth a line.
_QUIET = {"StatusPolled", "Heartbeat"}
