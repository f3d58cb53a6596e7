"""Provides the main screen's panes; each redraws from ``TuiModel`` only when its section moved.

``refresh_from(model, now)`` is called by the app's render tick (bounded rate); a pane
compares the model's section counter with the one it drew last and returns at once when
nothing changed, so a quiet cluster costs almost nothing to show.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from rich.text import Text
from textual.widget import Widget
from textual.widgets import RichLog, Sparkline, Static

from calimero_devnet.tui.model import DeltaRecord, Line, TuiModel
from calimero_devnet.tui.palette import level_style
from calimero_devnet.tui.rowlist import Pieces, Row, RowList, fit
from calimero_devnet.tui.words import (
    DELTA_COLUMNS,
    NODE_COLUMNS,
    STATE_LEVEL,
    build_line,
    columns_for,
    delta_columns_for,
    delta_row,
    headline,
    network_summary,
    node_detail,
    node_row,
    seconds,
)


class Seen:
    """Remembers the section counters a pane drew, to skip redraws."""

    def __init__(self) -> None:
        """Nothing drawn yet."""
        self._drawn: dict[str, int] = {}

    def changed(self, model: TuiModel, *sections: str) -> bool:
        """True (and remembered) if any of ``sections`` moved since the last call."""
        stamp = sum(model.version(s) for s in sections)  # counters only grow
        key = ",".join(sections)
        if self._drawn.get(key) == stamp:
            return False
        self._drawn[key] = stamp
        return True


class Fixed(Widget):
    """A pane whose size does not follow its text: a change repaints it, no layout pass."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._text = Text()

    def render(self) -> Text:
        return self._text

    def update(self, text: Text) -> None:
        """Show ``text`` (nothing happens when it says what is shown already)."""
        if text != self._text:
            self._text = text
            self.refresh()


class Headline(Fixed):
    """The top line: cluster, context, node count, the verdict in words, build and network."""

    def refresh_from(self, model: TuiModel, now: float) -> None:
        text, level = headline(model, now)
        context = model.selected_context() or "-"
        cid = model.contexts.get(context, "")[:8]
        line = Text.assemble(
            ("● ", level_style(level)),
            (text, level_style(level)),
            ("  │ ", "dim"),
            ("devnet ▸ ", "bold"),
            (f"{model.cluster_id} ▸ {context} {cid}", ""),
            ("  │ ", "dim"),
            (f"{len(model.nodes)} nodes", ""),
            ("  │ ", "dim"),
            ("net: ", "dim"),
            (network_summary(model), ""),
        )
        if model.dropped:
            line.append(f"   ({model.dropped} events dropped: UI behind)", level_style("warning"))
        self.update(line)


class NodesTable(RowList):
    """One row per node, columns sized to their widest cell; rows drawn only when they change."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._seen = Seen()
        self.columns: tuple[str, ...] = ()
        self._cells: dict[str, tuple[str, ...]] = {}  # node → the cells of its row
        self._texts: dict[str, Text] = {}  # node → its row as drawn
        self._widths: dict[str, int] = {}

    def refresh_from(self, model: TuiModel, now: float) -> None:
        wanted = columns_for(self.size.width or 80)
        if wanted == self.columns and not self._seen.changed(model, "nodes", "deltas"):
            return
        self.columns = wanted
        picks = [NODE_COLUMNS.index(column) for column in wanted]
        cells = {name: node_row(model, model.nodes[name], now) for name in model.node_names}
        widths = {c: max(len(c), *(len(row[i]) for row in cells.values())) for c, i in
                  zip(wanted, picks, strict=True)}  # fmt: skip
        relaid = widths != self._widths
        self._widths = widths
        rows = []
        for name, row in cells.items():
            if relaid or self._cells.get(name) != row or name not in self._texts:
                self._texts[name] = self._line(model.nodes[name].state, row, picks)
            rows.append((name, self._texts[name]))
        self._cells = cells
        self.set_rows(rows)

    def _line(self, state: str, row: tuple[str, ...], picks: list[int]) -> Text:
        line = Text()
        for column, i in zip(self.columns, picks, strict=True):
            style = ""
            if column == "state":
                style = level_style(STATE_LEVEL.get(state, "info"))
            elif column == "sync":
                style = level_style("ok" if row[i] == "ok" else "warning")
            line.append(row[i].ljust(self._widths[column]), style)
            line.append("  ")
        return line

    def header(self) -> Text:
        """The column names, aligned with the rows."""
        return Text("".join(c.ljust(self._widths.get(c, len(c))) + "  " for c in self.columns),
                    style="bold")  # fmt: skip

    def selected_node(self) -> str | None:
        """The node under the cursor."""
        return self.selected_key()

    def cells_of(self, node: str) -> dict[str, str]:
        """What the row of ``node`` says, by column (for tests and scripts)."""
        return dict(zip(NODE_COLUMNS, self._cells.get(node, ()), strict=False))

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show ``rows``; the cursor stays on its node (it does not follow the end)."""
        selected = self.selected_key()
        super().set_rows(rows)
        keys = [key for key, _ in rows]
        self.cursor = keys.index(selected) if selected in keys else 0
        self.refresh()


DeltaFilter = Callable[[DeltaRecord], bool]
SHOWN_DELTAS = 300  # rows kept in the list (the model keeps more, for filters)
DELTA_WIDTHS = {"time": 8, "delta": 7, "author": 8, "parents": 13, "on": 5, "actions": 0}


def applied_count(record: DeltaRecord) -> int:
    """How many nodes have ``record`` (its author among them): the "on" cell's number."""
    return len(record.applied_on) + (record.author not in record.applied_on)


def merged(pieces: list[tuple[str, str]]) -> Pieces:
    """``pieces`` with neighbours of one style joined: fewer segments to draw per row."""
    out: list[tuple[str, str]] = []
    for text, style in pieces:
        if out and out[-1][1] == style:
            out[-1] = (out[-1][0] + text, style)
        else:
            out.append((text, style))
    return tuple(out)


class DeltasTable(RowList):
    """The live stream of deltas of the selected context, newest at the bottom.

    A row is drawn once and kept while it says the same: only its "on" count can change
    (another node applied it), so a frame compares that count per row and draws anew only
    the rows that are new or whose count moved.
    """

    def __init__(self, colours: dict[str, str], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.colours = colours
        self.paused = False
        self.columns: tuple[str, ...] = ()
        self._seen = Seen()
        self._drawn: dict[str, tuple[tuple[int, int], Pieces]] = {}  # delta → (on, of), row

    def header(self) -> Text:
        """The column names, aligned with the rows."""
        return Text(" ".join(fit(c, DELTA_WIDTHS[c]) if DELTA_WIDTHS[c] else c
                             for c in self.columns), style="bold")  # fmt: skip

    def refresh_from(
        self, model: TuiModel, keep: DeltaFilter | None, *, force: bool = False
    ) -> None:
        """Redraw if the deltas moved (or the width asks for other columns); ``keep`` None
        keeps every delta."""
        wanted = delta_columns_for(self.size.width or 80)
        relaid = wanted != self.columns
        if relaid:
            self.columns, self._drawn = wanted, {}
        if self.paused or not (self._seen.changed(model, "deltas") or force or relaid):
            return
        ring = model.deltas.get(model.selected_context() or "", ())
        records = list(ring)[-SHOWN_DELTAS:] if keep is None else [r for r in ring if keep(r)]
        records = records[-SHOWN_DELTAS:]
        nodes = len(model.nodes)
        self.set_rows([(r.id, self._row(model, r, (applied_count(r), nodes))) for r in records])
        if len(self._drawn) > 2 * SHOWN_DELTAS:  # forget rows that left, now and then
            shown = {r.id for r in records}
            self._drawn = {k: v for k, v in self._drawn.items() if k in shown}

    def _row(self, model: TuiModel, record: DeltaRecord, on: tuple[int, int]) -> Pieces:
        known = self._drawn.get(record.id)
        if known is not None and known[0] == on:
            return known[1]
        cells = dict(zip(DELTA_COLUMNS, delta_row(model, record), strict=True))
        styles = {"author": self.colours.get(record.author, ""), "delta": "dim"}
        pieces: list[tuple[str, str]] = []
        for column in self.columns:
            width = DELTA_WIDTHS[column]
            pieces += [(fit(cells[column], width) if width else cells[column],
                        styles.get(column, "")), (" ", "")]  # fmt: skip
        row = merged(pieces)
        self._drawn[record.id] = (on, row)
        return row

    def selected_delta(self) -> str | None:
        """The delta under the cursor."""
        return self.selected_key()


LineFilter = Callable[[Line], bool]


class LinesView(RichLog):
    """Events or logs, coloured by node, following the end unless paused."""

    def __init__(self, colours: dict[str, str], **kwargs: object) -> None:
        super().__init__(max_lines=2_000, wrap=False, markup=False, **kwargs)  # type: ignore[arg-type]
        self.colours = colours
        self._drawn_total = 0
        self.paused = False

    def refresh_from(self, model: TuiModel, keep: LineFilter, *, force: bool = False) -> None:
        if force:
            self.clear()
            self._drawn_total = model.lines_total - len(model.lines)
        if self.paused or model.lines_total == self._drawn_total:
            return
        fresh = min(model.lines_total - self._drawn_total, len(model.lines))
        for line in list(model.lines)[len(model.lines) - fresh :]:
            if keep(line):
                self.write(self._styled(line))
        self._drawn_total = model.lines_total

    def _styled(self, line: Line) -> Text:
        at = time.strftime("%H:%M:%S", time.localtime(line.at))
        who = line.node or "devnet"
        return Text.assemble(
            (f"{at} ", "dim"), (f"{who:<8} ", self.colours.get(who, "bold")),
            (line.text, level_style(line.level if line.level != "info" else "")),
        )  # fmt: skip


class Timeline(Fixed):
    """Deltas per second over the last two minutes, and when the cluster was converged."""

    def refresh_from(self, model: TuiModel, spark: Sparkline) -> None:
        points = list(model.timeline)
        peak = max((count for _, count, _ in points), default=0)
        spark.data = [float(count) for _, count, _ in points] if peak else []
        strip = Text()
        for _, _, converged in points[-40:]:
            strip.append("▀" if converged else "▁", level_style("ok" if converged else "error"))
        said = f"peak {peak} deltas/s" if peak else "no deltas"
        strip.append(f" ▀ converged ▁ apart; {said}, last {seconds(len(points))}", "dim")
        self.update(strip)


class BuildBar(Static):
    """The apps' build and rollout; a failed build shows its errors with file:line:col."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._seen = Seen()

    def refresh_from(self, model: TuiModel) -> None:
        if not self._seen.changed(model, "build"):
            return
        text = Text()
        for build in model.builds.values():
            line, level = build_line(build)
            text.append(line + "\n", level_style(level))
            if build.status == "error" and build.error:
                for extra in build.error.strip().splitlines()[1:8]:
                    text.append(f"    {extra}\n", level_style("error"))
        self.update(text if text.plain else Text("no app built yet", style="dim"))


class NodeDetail(Fixed):
    """The selected node in full: process, bus, its view of the context, its last lines."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._seen = Seen()
        self._node: str | None = None

    def refresh_from(self, model: TuiModel, name: str | None, now: float) -> None:
        if name is None or name not in model.nodes:
            return
        if name == self._node and not self._seen.changed(model, "nodes", "lines"):
            return
        self._node = name
        self.update(node_detail(model, name, now))
