"""Provides ``TuiModel``: what the terminal UI knows about a cluster, updated by its events.

Pure and Textual-free: ``folding.fold(model, event, now)`` folds one ``ClusterEvent`` in,
``apply_status`` a status poll; the widgets read the model at a bounded rate. Everything
kept is bounded (the last ``DELTAS_KEPT`` deltas per context, ``LINES_KEPT`` event/log
lines, ``TIMELINE_S`` seconds of rates), so a node that floods costs memory once, not
forever. Each section bumps its
own counter in ``versions`` when it changes, so a widget redraws only when it must.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from calimero_devnet.cluster.events import StateRefused
from calimero_devnet.cluster.status import ClusterStatus, ContextView, judge

DELTAS_KEPT = 500
LINES_KEPT = 2_000
TIMELINE_S = 120
RATE_WINDOW_S = 5.0
GROUP_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class NodeInfo:
    """One node as the UI shows it (process facts, its view of the selected context, rates)."""

    name: str
    state: str = "starting"  # starting / ready / stopping / stopped / killed / crashed
    pid: int | None = None
    port: int | None = None
    public_key: str | None = None
    rss: int | None = None
    cpu: float | None = None
    views: dict[str, ContextView] = field(default_factory=dict)  # context name → view
    group: str | None = None  # partition group letter, None on a healthy network
    online: bool | None = None  # bus presence
    remote: str | None = None  # the machine of a node joined from elsewhere (no pid, no RSS)
    last_delta_at: float | None = None
    authored: deque[float] = field(default_factory=deque)  # times, for rates
    applied: deque[tuple[float, int]] = field(default_factory=deque)  # (time, count)
    applied_sum: int = 0  # the counts in ``applied``: a rate without a walk over the window
    exit_reason: str | None = None

    def note_applied(self, now: float, count: int) -> None:
        """``count`` peer deltas applied at ``now`` (for ``rate_in``)."""
        self.applied.append((now, count))
        self.applied_sum += count

    def rate_out(self, now: float) -> float:
        """Deltas this node authored per second, over the last ``RATE_WINDOW_S``."""
        _trim(self.authored, now, key=lambda t: t)
        return len(self.authored) / RATE_WINDOW_S

    def rate_in(self, now: float) -> float:
        """Peer deltas this node applied per second, over the last ``RATE_WINDOW_S``."""
        while self.applied and now - self.applied[0][0] > RATE_WINDOW_S:
            self.applied_sum -= self.applied.popleft()[1]
        return self.applied_sum / RATE_WINDOW_S


def _trim(window: deque[Any], now: float, key: Callable[[Any], float]) -> None:
    while window and now - key(window[0]) > RATE_WINDOW_S:
        window.popleft()


@dataclass
class DeltaRecord:
    """A delta seen on the feeds: who wrote it, what it did, which nodes applied it."""

    id: str
    context: str  # context name
    author: str  # node name (or a short key when the author is not a known node)
    parents: tuple[str, ...]
    summary: tuple[str, ...]
    actions: int
    kind: str
    seen_at: float
    hlc: int | None = None
    applied_on: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the events/logs panes."""

    at: float
    node: str | None  # None: the manager
    kind: str  # "cluster", "event" (an app event), "log" (a node's log line)
    level: str  # "info", "warning", "error"
    text: str


@dataclass
class BuildInfo:
    """One app's build and rollout, as the build bar shows it."""

    app: str
    status: str = "building"  # building / ok / error / refused
    version: int | None = None
    seconds: float | None = None
    error: str | None = None
    nodes: tuple[str, ...] = ()
    failed: tuple[tuple[str, str], ...] = ()
    refused: StateRefused | None = None
    switched: tuple[int, int] | None = None  # (done, total) while a rollout runs


@dataclass
class Verdict:
    """Whether one context has converged, since when, and what differs."""

    converged: bool = False
    since: float = 0.0
    differences: tuple[str, ...] = ()
    lacking: dict[str, int] = field(default_factory=dict)  # node → deltas it lacks


@dataclass
class TuiModel:
    """Everything the UI shows; see the module docstring."""

    cluster_id: str
    node_names: list[str]
    contexts: dict[str, str] = field(default_factory=dict)  # name → id
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    context: str | None = None  # the context the views show
    deltas: dict[str, deque[DeltaRecord]] = field(default_factory=dict)
    delta_index: dict[str, DeltaRecord] = field(default_factory=dict)
    # Applied before its author's "authored" arrived (feeds travel on separate connections).
    early: dict[str, set[str]] = field(default_factory=dict)
    lines: deque[Line] = field(default_factory=lambda: deque(maxlen=LINES_KEPT))
    lines_total: int = 0  # lines ever added (a pane draws the ones it has not yet)
    builds: dict[str, BuildInfo] = field(default_factory=dict)
    app_versions: dict[str, tuple[str, int]] = field(default_factory=dict)  # id → (app, v)
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    net_text: str = "healthy"
    broker_down: str | None = None  # why the broker is down (None: it serves)
    net_rules: dict[str, Any] = field(default_factory=dict)
    ready: bool = False
    stopped: bool = False  # the cluster (run elsewhere) was stopped
    busy: str | None = None  # what the whole cluster is doing now (a snapshot's restore)
    ready_seconds: float | None = None
    progress: str = "starting…"
    timeline: deque[tuple[int, int, bool]] = field(default_factory=deque)  # (second, n, conv)
    versions: dict[str, int] = field(default_factory=dict)
    dropped: int = 0
    heads_seen: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in self.node_names:
            self.nodes.setdefault(name, NodeInfo(name))

    # --- reading -------------------------------------------------------------------------
    def version(self, section: str) -> int:
        """A counter that changes whenever ``section`` does (nodes, deltas, lines, …)."""
        return self.versions.get(section, 0)

    def selected_context(self) -> str | None:
        """The context the views show: the chosen one, else the first known."""
        if self.context in self.contexts:
            return self.context
        return next(iter(self.contexts), None)

    def node_by_key(self, key: str | None) -> str | None:
        """The node whose public key is ``key``."""
        return next((n.name for n in self.nodes.values() if key and n.public_key == key), None)

    def verdict(self) -> Verdict | None:
        """The selected context's verdict."""
        name = self.selected_context()
        return None if name is None else self.verdicts.get(name)

    # --- folding events in ---------------------------------------------------------------
    def apply_status(self, status: ClusterStatus, now: float) -> None:
        """A status poll: every node's view of every context, and the verdicts from it."""
        self.contexts.update(status.contexts)
        for ref in status.nodes:
            node = self.nodes.setdefault(ref.name, NodeInfo(ref.name))
            node.pid = ref.pid if ref.running else None
            node.remote = ref.remote
            if ref.remote is not None:
                node.state = "ready" if ref.running else "gone"
            if ref.url is not None:  # an attached UI hears no NodeReady for nodes already up
                node.port = urlsplit(ref.url).port
            if ref.running and node.state in {"starting", "stopped", "killed", "crashed"}:
                node.state = "ready"
        for node in self.nodes.values():
            node.views = {v.context: v for v in status.views if v.node == node.name}
        for name in status.contexts:
            views = [v for v in status.views if v.context == name]
            self._judge(name, views, now)
        self._learn_app_nodes(status.views)
        self.bump("nodes", "header")

    def _learn_app_nodes(self, views: Iterable[ContextView]) -> None:
        """Where each app runs, for a build no deploy event was heard of (an attached UI)."""
        running: dict[str, set[str]] = {}
        for view in views:
            app = self.app_versions.get(view.app_id or "")
            if app is not None:
                running.setdefault(app[0], set()).add(view.node)
        for build in self.builds.values():
            if not build.nodes and build.app in running:
                build.nodes = tuple(sorted(running[build.app]))
                self.bump("build")

    def _judge(self, context: str, views: list[ContextView], now: float) -> None:
        converged, differences = judge(views)
        verdict = self.verdicts.setdefault(context, Verdict(since=now))
        if verdict.converged != converged:
            verdict.converged, verdict.since = converged, now
        verdict.differences = tuple(differences)
        for view in views:
            if view.error is None and self.heads_seen.get((view.node, context)) != view.heads:
                self.heads_seen[view.node, context] = view.heads
                _mark_ancestors(view.node, view.heads, self.delta_index)
        verdict.lacking = _lacking(views, self.deltas.get(context, ()))

    def say(self, now: float, node: str | None, text: str, level: str = "info") -> None:
        """Add a line to the events pane."""
        self._add(Line(now, node, "cluster" if node is None else "event", level, text))

    def log(self, now: float, node: str, text: str, level: str) -> None:
        """Add one of a node's log lines."""
        self._add(Line(now, node, "log", level, text))

    def _add(self, line: Line) -> None:
        self.lines.append(line)
        self.lines_total += 1
        self.bump("lines")

    def bump(self, *sections: str) -> None:
        """Mark sections changed."""
        for section in sections:
            self.versions[section] = self.versions.get(section, 0) + 1

    def cluster_stopped(self, now: float) -> None:
        """The cluster this UI follows was stopped (its event stream ended)."""
        self.stopped = True
        for node in self.nodes.values():
            node.state, node.pid, node.rss, node.cpu = "stopped", None, None, None
        self.say(now, None, "the cluster was stopped", "warning")
        self.bump("nodes", "header")

    def learn_app(self, name: str, app_id: str, version: int) -> None:
        """An app known to run (from the manager's list of apps, when attaching)."""
        self.app_versions[app_id] = (name, version)
        build = self.builds.setdefault(name, BuildInfo(name))
        if build.status in {"building", "deploying"}:
            build.status = "ok"
        build.version = version
        self.bump("build", "nodes")

    def set_process_stats(self, stats: Mapping[str, tuple[int, float]]) -> None:
        """RSS (bytes) and CPU (% of one core) per running node."""
        for name, node in self.nodes.items():
            sample = stats.get(name)
            node.rss, node.cpu = sample if sample is not None else (None, None)
        self.bump("nodes")

    def tick(self, now: float) -> None:
        """Close the timeline's seconds up to ``now`` (called about once a second)."""
        second = int(now)
        if self.timeline and self.timeline[-1][0] >= second:
            return
        verdict = self.verdict()
        count = sum(1 for _ in self._authored_in(second - 1, second))
        self.timeline.append((second, count, bool(verdict and verdict.converged)))
        while len(self.timeline) > TIMELINE_S:
            self.timeline.popleft()
        self.bump("timeline", "header")

    def _authored_in(self, start: float, end: float) -> Iterable[float]:
        for node in self.nodes.values():
            yield from (t for t in node.authored if start <= t < end)


def _mark_ancestors(node: str, heads: Iterable[str], index: Mapping[str, DeltaRecord]) -> None:
    """``node`` holds its heads and all their ancestors: mark the ones the feeds know of.

    A node's ``applied`` feed event names at most 16 of the deltas it applied together (a
    catch-up applies hundreds), so the polled heads are what vouches for the rest.
    """
    stack, seen = list(heads), set()
    while stack:
        delta = stack.pop()
        record = index.get(delta)
        if record is None or delta in seen:
            continue
        seen.add(delta)
        record.applied_on.add(node)
        stack.extend(record.parents)


def _lacking(views: list[ContextView], known: Iterable[DeltaRecord]) -> dict[str, int]:
    """Per node: how many of the deltas others applied it has not (as far as the feeds say)."""
    names = {v.node for v in views if v.error is None}
    lacking = dict.fromkeys(names, 0)
    for record in known:
        have = record.applied_on | {record.author}
        if have & names:
            for name in names - have:
                lacking[name] += 1
    return {name: count for name, count in lacking.items() if count}
