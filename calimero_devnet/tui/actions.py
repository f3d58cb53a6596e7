"""Provides the UI's actions: key bindings, the command palette, and what each one does.

Every action that changes the cluster is one ``ClusterSource`` call in a worker: success
is a short notification, a ``DevnetError`` is a notification with the node's or manager's
own message, and a fresh status poll follows so the nodes view shows the change at once.
Destructive ones (kill, stop, reset, quit while owning the cluster) ask once; ``ctrl+k``
kills without asking, as in k9s.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, TabbedContent

from calimero_devnet.errors import DevnetError
from calimero_devnet.tui.call import CallRequest, CallScreen, Method, describe_result
from calimero_devnet.tui.detail import DeltaScreen, HelpScreen, delta_text
from calimero_devnet.tui.dialogs import ConfirmScreen, LatencyScreen, LinkFault, PartitionScreen
from calimero_devnet.tui.filters import Filter
from calimero_devnet.tui.model import TuiModel
from calimero_devnet.tui.rowlist import RowList
from calimero_devnet.tui.source import ClusterSource
from calimero_devnet.tui.widgets import DeltasTable, LinesView, NodesTable

W = TypeVar("W", bound=Widget)

# (key, action, footer label, help text); the footer shows those with a label.
KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("question_mark", "help", "help", "every key binding"),
    ("c", "call", "call", "call a method on the selected node (form from the app's ABI)"),
    ("R", "rerun", "", "run the last call again"),
    ("p", "partition", "partition", "put nodes into partition groups"),
    ("h", "heal", "heal", "remove every partition and link fault"),
    ("l", "latency", "latency", "delay / drop messages on a link"),
    ("k", "kill", "kill", "SIGKILL the selected node (asks first)"),
    ("ctrl+k", "kill_now", "", "SIGKILL the selected node without asking"),
    ("r", "restart", "restart", "restart the selected node"),
    ("t", "stop", "", "stop the selected node politely (asks first)"),
    ("u", "start", "", "start the selected node"),
    ("d", "redeploy", "", "rebuild the app now and switch every node to it"),
    ("z", "reset", "", "start the context afresh (its state is lost; asks first)"),
    ("x", "next_context", "", "show the next context"),
    ("a", "scope", "", "all nodes / only the selected node in the panes"),
    ("slash", "filter", "filter", "filter the current view"),
    ("colon", "command", "", "go to a view: :nodes :deltas :dag :events :logs :net"),
    ("enter", "", "", "open the selected delta in full (Deltas view; a click on it too)"),
    ("escape", "clear", "", "clear the filter / close the prompt"),
    ("space", "pause", "", "pause / follow the live stream"),
    ("left_square_bracket", "prev_tab", "", "previous tab"),
    ("right_square_bracket", "next_tab", "", "next tab"),
    ("q", "quit", "quit", "quit (stops the cluster when this UI started it; asks first)"),
    ("ctrl+c", "quit", "", "quit, as q"),
)
TABS = ("deltas", "dag", "events", "logs", "net")
VIEWS = ("nodes", *TABS)


def key_label(key: str) -> str:
    """How a key is written in the help."""
    names = {"question_mark": "?", "slash": "/", "colon": ":", "left_square_bracket": "[",
             "right_square_bracket": "]"}  # fmt: skip
    return names.get(key, key)


class Actions(App[int]):
    """The actions half of ``DevnetApp`` (``app.py`` holds the layout and the data flow)."""

    model: TuiModel
    source: ClusterSource | None
    clock: Callable[[], float]
    filter: Filter
    scope_node: str | None
    methods: list[Method]
    apps: list[dict[str, Any]]
    history: list[CallRequest]

    BINDINGS = [  # noqa: RUF012
        Binding(key, action, label, show=bool(label), priority=key in {"ctrl+c"})
        for key, action, label, _ in KEYS
        if action  # Enter belongs to the lists themselves
    ]

    # --- plumbing ------------------------------------------------------------------------
    def part(self, expect: type[W], selector: str | None = None) -> W:
        """A widget of the main screen, even while a dialog is on top of it.

        Raises:
            NoMatches: no such widget, or the app is closing (its screens are gone).
        """
        if not self.screen_stack:  # a timer firing as the app shuts down
            raise NoMatches("the app has no screen: it is closing")
        base = self.screen_stack[0]
        return base.query_one(selector, expect) if selector else base.query_one(expect)

    def redraw_view(self) -> None:
        """Redraw the active view from scratch (``DevnetApp`` defines it)."""
        raise NotImplementedError

    def stop_cluster(self) -> None:
        """Stop the owned cluster, then quit (``DevnetApp`` defines it)."""
        raise NotImplementedError

    def act(self, label: str, job: Callable[[], Awaitable[Any]]) -> None:
        """Run one library call in a worker; say how it went; refresh the status after."""
        app = self

        async def run() -> None:
            if app.source is None:
                app.notify("the cluster is not up yet", severity="warning")
                return
            try:
                answer = await job()
            except DevnetError as exc:
                app.notify(str(exc), title=f"{label} failed", severity="error", timeout=8)
                return
            app.notify(answer if isinstance(answer, str) else f"{label}: done", timeout=3)
            await self.poll_status()

        app.run_worker(run(), group="actions", description=label)

    async def poll_status(self) -> None:
        """Ask every node now (so an action shows at once, not at the next poll)."""
        app = self
        if app.source is not None:
            with contextlib.suppress(DevnetError):  # the next poll will say it
                app.model.apply_status(await app.source.status(), app.clock())

    def selected_node(self) -> str | None:
        """The node under the nodes table's cursor."""
        return self.part(NodesTable).selected_node()

    def _node_or_say(self) -> str | None:
        node = self.selected_node()
        if node is None:
            self.notify("select a node first", severity="warning")
        return node

    def _context_name(self) -> str | None:
        return self.model.selected_context()

    # --- calls ---------------------------------------------------------------------------
    def action_call(self) -> None:
        app = self
        if app.source is None:
            app.notify("the cluster is not up yet", severity="warning")
            return
        screen = CallScreen(app.model.node_names, app.methods, self._traced_call, app.history,
                            node=self.selected_node())  # fmt: skip
        app.push_screen(screen)

    async def _traced_call(self, request: CallRequest) -> dict[str, Any]:
        app = self
        assert app.source is not None
        result = await app.source.call(request.node, request.method, request.args,
                                       self._context_name())  # fmt: skip
        app.history.append(request)
        return result

    def action_rerun(self) -> None:
        app = self
        if not app.history:
            app.notify("no call yet: press c", severity="warning")
            return
        request = app.history[-1]

        async def job() -> str:
            return describe_result(await self._traced_call(request)).plain.strip()[:300]

        self.act(f"call {request.label()}", job)

    # --- nodes ---------------------------------------------------------------------------
    def _node_action(self, action: str, ask: bool) -> None:
        app = self
        node = self._node_or_say()
        if node is None:
            return

        def go(confirmed: bool | None = True) -> None:
            if confirmed and app.source is not None:
                source = app.source
                self.act(f"{action} {node}", lambda: source.node_action(node, action))

        if ask:
            app.push_screen(ConfirmScreen(f"{action} {node}?"), go)
        else:
            go()

    def action_kill(self) -> None:
        self._node_action("kill", ask=True)

    def action_kill_now(self) -> None:
        self._node_action("kill", ask=False)

    def action_stop(self) -> None:
        self._node_action("stop", ask=True)

    def action_start(self) -> None:
        self._node_action("start", ask=False)

    def action_restart(self) -> None:
        self._node_action("restart", ask=False)

    # --- network -------------------------------------------------------------------------
    def action_partition(self) -> None:
        app = self
        current = {name: node.group or "A" for name, node in app.model.nodes.items()}

        def apply(groups: list[list[str]] | None) -> None:
            if groups is None or app.source is None:
                return
            source = app.source
            if len(groups) < 2:
                self.act("heal", source.heal)
            else:
                self.act("partition", lambda: source.partition(groups))

        app.push_screen(PartitionScreen(app.model.node_names, current), apply)

    def action_heal(self) -> None:
        source = self.source
        if source is not None:
            self.act("heal", source.heal)

    def action_latency(self) -> None:
        app = self

        def apply(fault: LinkFault | None) -> None:
            if fault is None or app.source is None:
                return
            source = app.source
            self.act(f"link {fault.sender}>{fault.receiver}", lambda: source.latency(
                fault.sender, fault.receiver, fault.ms, fault.loss, fault.both))  # fmt: skip

        app.push_screen(LatencyScreen(app.model.node_names, self.selected_node()), apply)

    # --- apps and contexts ---------------------------------------------------------------
    def action_redeploy(self) -> None:
        app = self
        if not app.apps or app.source is None:
            app.notify("no app to redeploy", severity="warning")
            return
        source, name = app.source, str(app.apps[0]["name"])
        self.act(f"redeploy {name}", lambda: source.redeploy(name))

    def action_reset(self) -> None:
        app = self
        context = self._context_name()
        if context is None or app.source is None:
            return
        source = app.source

        def go(confirmed: bool | None) -> None:
            if confirmed:
                self.act(f"reset {context}", lambda: source.reset(context))

        app.push_screen(ConfirmScreen(f"reset {context}? Its state is lost on every node."), go)

    def action_next_context(self) -> None:
        model = self.model
        names = list(model.contexts)
        if len(names) > 1:
            current = model.selected_context()
            model.context = names[(names.index(current) + 1) % len(names) if current else 0]
            model.bump("nodes", "deltas", "header")
            self.redraw_view()

    # --- views ---------------------------------------------------------------------------
    def action_help(self) -> None:
        rows = [(key_label(key), text) for key, _, _, text in KEYS]
        self.push_screen(HelpScreen(rows, VIEWS))

    def _tabs(self) -> TabbedContent:
        return self.part(TabbedContent)

    def action_next_tab(self, step: int = 1) -> None:
        tabs = self._tabs()
        tabs.active = TABS[(TABS.index(tabs.active) + step) % len(TABS)]

    def action_prev_tab(self) -> None:
        self.action_next_tab(-1)

    def show_view(self, view: str) -> bool:
        """Go to ``view`` (``nodes`` focuses the nodes table); False if there is none."""
        app = self
        if view == "nodes":
            app.part(NodesTable).focus()
            return True
        if view not in VIEWS:
            return False
        self._tabs().active = view
        return True

    def action_scope(self) -> None:
        app = self
        app.scope_node = None if app.scope_node else self.selected_node()
        app.filter = Filter.parse(" ".join(app.filter.words), app.scope_node)
        app.notify(f"showing {app.scope_node or 'all nodes'}", timeout=2)
        app.redraw_view()

    def action_pause(self) -> None:
        app = self
        paused = not app.part(DeltasTable).paused
        app.part(DeltasTable).paused = paused
        for lines in ("#event-lines", "#log-lines"):
            app.part(LinesView, lines).paused = paused
        app.notify("paused (space follows again)" if paused else "following", timeout=2)

    def action_filter(self) -> None:
        self._prompt("/")

    def action_command(self) -> None:
        self._prompt(":")

    def _prompt(self, mode: str) -> None:
        prompt = self.part(Input, "#prompt")
        prompt.remove_class("hidden")
        prompt.placeholder = "filter: words, node:NAME, level:warning" if mode == "/" else "view"
        prompt.value = ""
        prompt.border_title = mode
        prompt.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        app = self
        if event.input.id != "prompt":
            return
        text = event.value.strip()
        if event.input.border_title == ":":
            if not self.show_view(text.lstrip(":")):
                app.notify(f"no view {text!r}: {' '.join(VIEWS)}", severity="warning")
        else:
            app.filter = Filter.parse(text, app.scope_node)
            app.redraw_view()
        self._close_prompt()

    def _close_prompt(self) -> None:
        app = self
        app.part(Input, "#prompt").add_class("hidden")
        app.part(NodesTable).focus()

    def action_clear(self) -> None:
        app = self
        if not app.part(Input, "#prompt").has_class("hidden"):
            self._close_prompt()
        elif app.filter.words or app.filter.fields:
            app.filter = Filter(only_node=app.scope_node)
            app.redraw_view()

    def open_delta(self, delta: str) -> None:
        """Fetch one delta from a node that has it and show it in full."""
        app = self
        record = app.model.delta_index.get(delta)
        candidates = [record.author, *sorted(record.applied_on)] if record else []
        candidates += [n for n in app.model.node_names if n not in candidates]
        running = [n for n in candidates if app.model.nodes[n].state == "ready"]

        async def job() -> None:
            assert app.source is not None
            names = {n.public_key: n.name for n in app.model.nodes.values() if n.public_key}
            for node in running:
                try:
                    data = await app.source.delta(node, delta, self._context_name())
                except DevnetError:
                    continue
                applied = record.applied_on | {record.author} if record else set()
                app.push_screen(DeltaScreen(delta_text(data, applied, names)))
                return
            app.notify(f"no running node has delta {delta[:8]}", severity="warning")

        app.run_worker(job(), group="actions")

    def on_row_list_chosen(self, event: RowList.Chosen) -> None:
        if isinstance(event.rows, DeltasTable):
            self.open_delta(event.key)

    # --- quitting ------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """Quit; when this UI owns the cluster, ask first and stop it (Textual's ctrl+q too)."""
        app = self
        source = app.source
        running = [n for n in app.model.nodes.values() if n.state in {"ready", "starting"}]
        if source is None or not source.owner or not running:
            app.exit(0)
            return

        def go(confirmed: bool | None) -> None:
            if confirmed:
                app.stop_cluster()

        question = f"Stop the cluster ({len(running)} nodes running) and quit?"
        app.push_screen(ConfirmScreen(question), go)

    # --- the command palette -------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, action, _, text in KEYS:
            if action in {"", "quit", "clear", "pause"}:
                continue
            yield SystemCommand(f"{action.replace('_', ' ')} ({key_label(key)})", text,
                                getattr(self, f"action_{action}"))  # fmt: skip
        for view in VIEWS:
            yield SystemCommand(
                f"view :{view}", f"go to the {view} view", lambda v=view: self.show_view(v)
            )
