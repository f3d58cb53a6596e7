"""Provides ``DevnetApp``: the terminal UI over one ``ClusterSource``.

Data flow (docs/tui.md): events (the owner's progress callback, or the control endpoint's
stream when attached) are folded into one ``TuiModel`` as they arrive, which is cheap;
widgets redraw from the model on a render tick (``RENDER_HZ``), each only when its section
changed, so a flood of deltas costs one repaint per tick. Process stats and log tails are
sampled on slower ticks. Actions (``actions.py``) are library calls in workers; their errors
become notifications.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.css.query import NoMatches
from textual.widgets import Footer, Input, Sparkline, Static, TabbedContent, TabPane

from calimero_devnet.cluster.events import ClusterEvent
from calimero_devnet.cluster.status import ClusterStatus
from calimero_devnet.errors import DevnetError
from calimero_devnet.tui.actions import Actions
from calimero_devnet.tui.call import CallRequest, Method
from calimero_devnet.tui.filters import Filter
from calimero_devnet.tui.folding import fold
from calimero_devnet.tui.logtail import LogTail, level_of
from calimero_devnet.tui.model import TuiModel
from calimero_devnet.tui.palette import node_colours
from calimero_devnet.tui.procstats import ProcessStats
from calimero_devnet.tui.source import ClusterSource
from calimero_devnet.tui.widgets import (
    BuildBar,
    DeltaFilter,
    DeltasTable,
    Headline,
    LinesView,
    NodeDetail,
    NodesTable,
    Timeline,
)
from calimero_devnet.workflows.record import Recorder

RENDER_HZ = 12  # the live panes: a frame at most ~83 ms after its data
# Young collections every 20,000 allocations, not 700: a flood of feed events made ~90 a
# second, and each promoted short-lived rows towards the full collections that stall frames.
GC_THRESHOLDS = (20_000, 20, 20)
SUMMARY_HZ = 3  # headline, nodes, detail, timeline, build bar
STATS_S = 1.0
TAIL_S = 0.25
RETRY_S = 1.0
PARENT_S = 1.0
NARROW_BELOW = 120  # columns: below this the timeline goes and the panes shrink
DAG_EVERY_S = 0.5  # at most two DAG fetches a second, however fast deltas come
Starter = Callable[["DevnetApp"], Awaitable[None]]
Stats = Callable[[dict[str, int]], dict[str, tuple[int, float]]]


class DevnetApp(Actions):
    """See the module docstring. ``starter`` owns a cluster; else ``source`` is attached."""

    CSS_PATH = "app.tcss"
    TITLE = "devnet"

    def __init__(
        self, cluster_id: str, node_names: list[str], *, source: ClusterSource | None = None,
        starter: Starter | None = None, clock: Callable[[], float] = time.time,
        stats: Stats | None = None, tail_logs: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        self.model = TuiModel(cluster_id, list(node_names))
        self.source = source
        self.colours = node_colours(node_names)
        self.clock = clock
        self.filter = Filter()
        self.scope_node: str | None = None
        self.methods: list[Method] = []
        self.apps: list[dict[str, Any]] = []
        self.history: list[CallRequest] = []
        self.recorder = Recorder()
        self._starter = starter
        self._stats = stats or ProcessStats().sample
        self._tail: LogTail | None = None
        self._tail_logs = tail_logs
        self._dag_drawn: tuple[int, str | None] = (-1, None)
        self._dag_due = 0.0
        self._summary_due = 0.0
        self._head_columns: tuple[str, ...] = ()
        self._nodes_head = Text()
        self._net_text = ""
        self._parent_pid = os.getppid()

    # --- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Headline(id="headline")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Static(id="nodes-head")
                yield NodesTable(id="nodes")
                yield NodeDetail(id="node-detail")
                yield Static("deltas/s, last 2 min", id="spark-label")
                yield Sparkline([0.0], id="spark")
                yield Timeline(id="timeline")
            with TabbedContent(id="tabs", initial="deltas"):
                with TabPane("Deltas", id="deltas"):
                    yield Static(id="delta-head")
                    yield DeltasTable(self.colours, id="delta-table")
                with TabPane("DAG", id="dag"), VerticalScroll():
                    yield Static("the DAG of the selected node appears here", id="dag-view")
                with TabPane("Events", id="events"):
                    yield LinesView(self.colours, id="event-lines")
                with TabPane("Logs", id="logs"):
                    yield LinesView(self.colours, id="log-lines")
                with TabPane("Network", id="net"):
                    yield Static(id="net-view")
        yield BuildBar(id="build")
        yield Input(id="prompt", classes="hidden")
        yield Footer()

    def on_mount(self) -> None:
        gc.set_threshold(*GC_THRESHOLDS)
        self.set_interval(1 / RENDER_HZ, self.render_now)
        self.set_interval(STATS_S, self._sample_stats)
        if self._tail_logs:
            self.set_interval(TAIL_S, self._read_logs)
        if self._starter is not None:
            self.run_worker(self._starter(self), name="cluster", group="cluster")
        elif self.source is not None:
            self.run_worker(self._follow(self.source), name="events", group="events")
            self.set_interval(PARENT_S, self._exit_if_orphaned)
        self.part(NodesTable).focus()

    def _exit_if_orphaned(self) -> None:
        """An attached UI whose parent died (``devnet tui --web``'s server, killed) has no one
        to draw for: leave. Its terminal pipe is gone, so an orderly exit may never finish."""
        if os.getppid() == self._parent_pid:
            return
        self.exit(0)
        threading.Timer(2.0, os._exit, (0,)).start()  # holds no cluster state: safe to cut

    # --- feeding the model ---------------------------------------------------------------
    def on_cluster_event(self, event: ClusterEvent) -> None:
        """Fold one event in (the owner's progress callback; also used by the stream)."""
        now = self.clock()
        status: ClusterStatus | None = getattr(event, "status", None)
        if isinstance(status, ClusterStatus):
            self.model.apply_status(status, now)
        else:
            fold(self.model, event, now)

    def adopt(self, source: ClusterSource) -> None:
        """The owned cluster exists (before it is ready): actions go to it from now on."""
        self.source = source

    async def prime(self, source: ClusterSource) -> None:
        """Read what is already true: apps, keys, network, status (events say what changes)."""
        now = self.clock()
        for name, key in source.public_keys().items():
            self.model.nodes[name].public_key = key
        self.apps = await source.apps_info()
        self._learn_apps(self.apps)
        self.model.contexts.update(source.contexts())
        self.model.apply_status(await source.status(), now)
        self._tail = LogTail(source.log_files()) if self._tail_logs else None
        self._sample_stats()
        # What lives now (Textual, the modules, the cluster) lives to the end: out of the
        # collector's sight, a full collection no longer walks it for 100+ ms mid-frame.
        gc.freeze()

    def _learn_apps(self, apps: list[dict[str, Any]]) -> None:
        from calimero_devnet.tui.call import methods_from_manifest  # noqa: PLC0415

        for app in apps:
            if app.get("appId") and app.get("version") is not None:
                self.model.learn_app(str(app["name"]), str(app["appId"]), int(app["version"]))
        self.methods = methods_from_manifest(apps[0].get("manifest") if apps else None)
        self.model.bump("nodes")

    async def _follow(self, source: ClusterSource) -> None:
        """Attached: prime, then fold the stream in; say so when the manager goes away."""
        self.model.ready = True
        while True:
            stream = aiter(source.events())
            first = asyncio.ensure_future(anext(stream))  # subscribe before reading the status
            try:
                await self.prime(source)
                self.on_cluster_event(await first)
                async for event in stream:
                    self.on_cluster_event(event)
            except StopAsyncIteration:
                pass
            except Exception as exc:  # the manager went away or answered garbage
                first.cancel()
                self.model.say(self.clock(), None, f"event stream lost: {exc}", "error")
                await asyncio.sleep(RETRY_S)
                continue
            self.model.cluster_stopped(self.clock())
            self.notify("the cluster was stopped", severity="warning", timeout=10)
            return

    def _sample_stats(self) -> None:
        pids = {n.name: n.pid for n in self.model.nodes.values() if n.pid}
        self.model.set_process_stats(self._stats(pids))
        self.model.tick(self.clock())

    def _read_logs(self) -> None:
        if self._tail is None:
            return
        now = self.clock()
        for node, line in self._tail.read():
            self.model.log(now, node, line, level_of(line))

    # --- drawing -------------------------------------------------------------------------
    def render_now(self, *, everything: bool = False) -> None:
        """Redraw what changed (the render tick); ``everything``: the summary panes too."""
        with contextlib.suppress(NoMatches):  # the app is closing: its screen is going
            self._render_parts(everything)

    def _render_parts(self, everything: bool) -> None:
        now = self.clock()
        model = self.model
        if everything or time.monotonic() >= self._summary_due:
            # Rates and ages need no more than a few frames a second; tables cost.
            self._summary_due = time.monotonic() + 1 / SUMMARY_HZ
            self.part(Headline).refresh_from(model, now)
            self._refresh_nodes(now)
            self.part(NodeDetail).refresh_from(model, self.selected_node(), now)
            self.part(Timeline).refresh_from(model, self.part(Sparkline))
            self.part(BuildBar).refresh_from(model)
        tab = self.part(TabbedContent).active
        if tab == "deltas":
            self._refresh_deltas()
        elif tab in {"events", "logs"}:
            self._lines(tab).refresh_from(model, self._line_filter(tab))
        elif tab == "dag":
            self.refresh_dag()
        elif tab == "net":
            self.refresh_net()

    def _refresh_nodes(self, now: float) -> None:
        table = self.part(NodesTable)
        table.refresh_from(self.model, now)
        header = table.header()
        if header != self._nodes_head:
            self._nodes_head = header
            self.part(Static, "#nodes-head").update(header)

    def _refresh_deltas(self, *, force: bool = False) -> None:
        table = self.part(DeltasTable)
        table.refresh_from(self.model, self._delta_filter(), force=force)
        if table.columns != self._head_columns:
            self._head_columns = table.columns
            self.part(Static, "#delta-head").update(table.header())

    def headline(self) -> str:
        """What the headline says now (for scripts and tests)."""
        return self.part(Headline).render().plain

    def _lines(self, tab: str) -> LinesView:
        return self.part(LinesView, "#event-lines" if tab == "events" else "#log-lines")

    def _delta_filter(self) -> DeltaFilter | None:
        return None if self.filter.keeps_all else self.filter.keeps_delta

    def _line_filter(self, tab: str) -> Callable[[Any], bool]:
        wanted = {"logs": {"log"}, "events": {"cluster", "event"}}[tab]
        keep = self.filter.keeps_line
        return lambda line: line.kind in wanted and keep(line)

    def redraw_view(self) -> None:
        """Redraw the active view from scratch (after a filter or scope change)."""
        tab = self.part(TabbedContent).active
        if tab == "deltas":
            self.part(DeltasTable).refresh_from(self.model, self._delta_filter(), force=True)
        elif tab in {"events", "logs"}:
            self._lines(tab).refresh_from(self.model, self._line_filter(tab), force=True)
        elif tab == "dag":
            self._dag_drawn = (-1, None)

    def on_tabbed_content_tab_activated(self) -> None:
        self.redraw_view()
        self.render_now(everything=True)

    # --- the DAG and network views -------------------------------------------------------
    def refresh_dag(self) -> None:
        """Fetch the selected node's recent DAG (at most every half second) and draw it."""
        node = self.selected_node() or next(iter(self.model.node_names), None)
        key = (self.model.version("deltas"), node)
        due = time.monotonic() >= self._dag_due
        if key == self._dag_drawn or not due or self.source is None or node is None:
            return
        self._dag_drawn, self._dag_due = key, time.monotonic() + DAG_EVERY_S
        self.run_worker(self._draw_dag(node), group="dag", exclusive=True)

    async def _draw_dag(self, node: str) -> None:
        from calimero_devnet.tui.dagview import dag_lines  # noqa: PLC0415  (only when shown)

        assert self.source is not None
        try:
            data = await self.source.recent_deltas(node, self.model.selected_context())
        except DevnetError as exc:
            self.part(Static, "#dag-view").update(f"{node}: {exc}")
            return
        width = max(40, self.part(Static, "#dag-view").size.width or 100)
        text = dag_lines(self.model, node, data, self.colours, width)
        self.part(Static, "#dag-view").update(text)

    def refresh_net(self) -> None:
        """The network rules in words, and how to change them."""
        from calimero_devnet.tui.words import net_text  # noqa: PLC0415

        text = net_text(self.model)
        if text != self._net_text:  # a layout pass (the text's height may change) costs ~30 ms
            lines = text.count("\n")
            self.part(Static, "#net-view").update(text, layout=lines != self._net_text.count("\n"))
            self._net_text = text

    # --- owning the cluster --------------------------------------------------------------
    def stop_cluster(self) -> None:
        """Stop the cluster this UI started; the app exits once it is down."""
        self.model.ready = False
        self.model.progress = "stopping the cluster…"
        self.model.bump("header")
        stop = getattr(self.source, "cluster", None)
        if stop is not None:
            stop.close()
        else:
            self.exit(0)

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW_BELOW, "-narrow")
