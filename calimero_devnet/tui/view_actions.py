"""Provides ``ViewActions``: the actions that change what the UI shows, not the cluster.

Tabs and views, filters and the prompt, scope, pause, help, and opening a delta in full.
``Actions`` (``actions.py``) builds on it with the actions that change the cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from textual.app import App
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Input, TabbedContent

from calimero_devnet.errors import DevnetError
from calimero_devnet.tui.detail import DeltaScreen, HelpScreen, delta_text
from calimero_devnet.tui.filters import Filter
from calimero_devnet.tui.keys import KEYS, TABS, VIEWS, key_label
from calimero_devnet.tui.model import TuiModel
from calimero_devnet.tui.rowlist import RowList
from calimero_devnet.tui.source import ClusterSource
from calimero_devnet.tui.widgets import DeltasTable, LinesView, NodesTable

W = TypeVar("W", bound=Widget)


class ViewActions(App[int]):
    """The view half of the UI's actions; see the module docstring."""

    model: TuiModel
    source: ClusterSource | None
    clock: Callable[[], float]
    filter: Filter
    scope_node: str | None

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

    def selected_node(self) -> str | None:
        """The node under the nodes table's cursor."""
        return self.part(NodesTable).selected_node()

    def _context_name(self) -> str | None:
        return self.model.selected_context()

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
