"""Provides the drawing of a context's delta DAG in lanes, as ``git log --graph`` draws commits.

``layout(deltas)`` takes deltas children before parents (newest first, as the admin API
lists them) and returns ``GraphRow``s: one commit row per delta, in input order, with
connector rows between them. ``render(rows, heads, colours, width=W)`` turns the rows into
Rich ``Text`` lines of at most W cells. Both are pure (no I/O) and fast
(``bench/bench_dag_layout.py``).

Glyph rules. Lane ``k`` is column ``2k``; the column between two lanes is blank, or ``─``
where a line runs through it.

* Commit row: ``●`` in the delta's lane, ``│`` in every lane waiting for a delta further
  down, ``┆`` in a lane waiting for a parent outside the window.
* Fork row, after a delta with several parents: the first parent goes on straight down in
  the delta's lane; each other parent opens the free lane nearest to it (a new one on the
  right when that is nearer), reached by one horizontal line: ``├─╮``, ``├─┬─╮``, ``╭─┤``.
* Merge row, before a delta that several lanes wait for: they fold into the leftmost of
  them, ``├─╯``, ``├─┴─╯``.
* A line crossing a lane that goes on leaves that lane a plain ``│`` (``├─│─╯``): a
  junction always shows a stub on the side of its line, a crossing never does.
* Every line reads top to bottom without doubt: in a fork row only the delta's lane comes
  from above; in a merge row only the leftmost lane goes on below.
* A parent outside the window (older than the slice) keeps its lane dashed, ``┆``, down to
  a last row of ``┆`` where the edge leaves the bottom of the drawing.
* Lanes never move sideways: a lane freed by a merge or a root is reused by the next lane
  opened near it, and free lanes on the right are trimmed from each row.
* Overflow: with ``max_lanes=M`` (by default a fifth of ``width``), a graph wider than M
  lanes keeps lanes 0..M-2 and draws all the others as one overflow lane in heavy glyphs
  (``┇``, ``┫``, ``┓``, ``┛``…; ``●`` when the delta is in one), so it takes 2M-1 cells.

Colours: a lane, and the lines into it, take the colour of the author of the delta it leads
to (dim when that delta is outside the window), so a branch reads in its author's colour;
``●`` and the author's name take the delta's author's; the short id is dim; the head
markers (``◀ node-1 node-3``: the nodes whose heads include the delta) are bold.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rich.cells import cell_len, chop_cells
from rich.text import Span, Text

# The stubs of a lane's cell in one row: the sides its lines leave by; DOT: the delta itself;
# DASHED: the lane leads to a parent outside the window.
UP, DOWN, LEFT, RIGHT, DOT, DASHED = 1, 2, 4, 8, 16, 32
SHORT_ID = 4
MARK = "◀"
# Mid-lightness hues that keep their contrast on dark and on light terminal themes.
PALETTE = (
    "#3b8eea", "#d7875f", "#5fa85f", "#b267e6", "#c9a227", "#2aa198", "#e0608a", "#7f8fa6",
)  # fmt: skip
_CONTROL = dict.fromkeys((*range(32), 127), " ")
_Look = tuple[int, str]  # the cell and colour of a lane leading to one parent


def _glyph_table(shapes: Mapping[int, str], vertical: str, dashed: str) -> tuple[str, ...]:
    """The glyph of every cell value, indexed by the value."""
    table = []
    for value in range(64):
        stubs = value & (UP | DOWN | LEFT | RIGHT)
        if value & DOT:
            table.append("●")
        elif stubs == UP | DOWN:
            table.append(dashed if value & DASHED else vertical)
        else:
            table.append(shapes.get(stubs, vertical))
    return tuple(table)


_LIGHT = _glyph_table(
    {0: " ", UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤", UP | DOWN | LEFT | RIGHT: "┼",
     DOWN | RIGHT: "╭", DOWN | LEFT: "╮", UP | RIGHT: "╰", UP | LEFT: "╯",
     UP | LEFT | RIGHT: "┴", DOWN | LEFT | RIGHT: "┬", LEFT | RIGHT: "─", LEFT: "─", RIGHT: "─"},
    "│", "┆",
)  # fmt: skip
_HEAVY = _glyph_table(
    {0: " ", UP | DOWN | RIGHT: "┣", UP | DOWN | LEFT: "┫", UP | DOWN | LEFT | RIGHT: "╋",
     DOWN | RIGHT: "┏", DOWN | LEFT: "┓", UP | RIGHT: "┗", UP | LEFT: "┛",
     UP | LEFT | RIGHT: "┻", DOWN | LEFT | RIGHT: "┳", LEFT | RIGHT: "━", LEFT: "━", RIGHT: "━"},
    "┇", "┇",
)  # fmt: skip
_PAIRS = tuple((glyph + " ", glyph + "─") for glyph in _LIGHT)  # a lane and the gap after it


@dataclass(frozen=True, slots=True)
class DagDelta:
    """One delta as the drawing needs it; ``author`` is already a node name."""

    id: str
    parents: tuple[str, ...]
    author: str
    summary: str


class GraphRow(NamedTuple):
    """One line of the drawing: a commit row (``delta`` set) or a connector row.

    ``cells[k]``: the stubs of lane k; ``authors[k]``: whose colour it takes ('' for a lane
    leading outside the window); ``gaps[k]``, between lanes k and k+1: the author of the
    line through it, None when blank. On a commit row ``lane`` is the delta's and
    ``parent_lanes[i]`` the lane in which ``delta.parents[i]`` goes on below it.
    """

    cells: tuple[int, ...]
    authors: tuple[str, ...]
    gaps: tuple[str | None, ...]
    delta: DagDelta | None = None
    lane: int = -1
    parent_lanes: tuple[int, ...] = ()

    @property
    def glyphs(self) -> str:
        """The row's graph as plain text, every lane drawn."""
        out = []
        for k, cell in enumerate(self.cells):
            if k:
                out.append(" " if self.gaps[k - 1] is None else "─")
            out.append(_LIGHT[cell])
        return "".join(out)


def node_colour(name: str) -> str:
    """A stable palette colour for a node the caller gave none (same name, same colour)."""
    return PALETTE[zlib.crc32(name.encode()) % len(PALETTE)]


class _Lanes:
    """The lanes open between two rows: the delta each waits for, its cell and its colour."""

    __slots__ = ("authors", "cells", "ids")

    def __init__(self) -> None:
        self.ids: list[str | None] = []
        self.cells: list[int] = []
        self.authors: list[str] = []

    def waiting_for(self, delta_id: str) -> list[int]:
        return [k for k, waited in enumerate(self.ids) if waited == delta_id]

    def first_free(self) -> int:
        """Where a new head goes: the leftmost free lane, else a new one."""
        return next((k for k, waited in enumerate(self.ids) if waited is None), len(self.ids))

    def nearest_free(self, lane: int) -> int:
        """Where a parent of the delta in ``lane`` goes: the free or new lane nearest to it.

        On a tie an existing lane beats a new one (width is scarce), then right beats left
        (branches open rightwards, as readers expect).
        """
        free = [k for k, waited in enumerate(self.ids) if waited is None]
        return min((*free, len(self.ids)), key=lambda k: (abs(k - lane), k == len(self.ids), -k))

    def open(self, lane: int, waited: str, cell: int, author: str) -> None:
        if lane == len(self.ids):
            self.ids.append(None)
            self.cells.append(0)
            self.authors.append("")
        self.ids[lane], self.cells[lane], self.authors[lane] = waited, cell, author

    def close(self, lane: int) -> None:
        self.ids[lane], self.cells[lane], self.authors[lane] = None, 0, ""
        while self.ids and self.ids[-1] is None:  # no row is wider than its rightmost lane
            self.ids.pop()
            self.cells.pop()
            self.authors.pop()

    def row(self, lanes: int) -> tuple[list[int], list[str]]:
        """Copies of the cells and colours, at least ``lanes`` wide, for a row to edit."""
        pad = max(0, lanes - len(self.ids))
        return [*self.cells, *[0] * pad], [*self.authors, *[""] * pad]


def layout(deltas: Sequence[DagDelta]) -> list[GraphRow]:
    """The rows drawing ``deltas`` (children before parents): one commit row per delta."""
    below: dict[str, tuple[int, str]] = {}
    for i, delta in enumerate(deltas):
        below.setdefault(delta.id, (i, delta.author))
    lanes = _Lanes()
    rows: list[GraphRow] = []
    for i, delta in enumerate(deltas):
        waiting = lanes.waiting_for(delta.id)
        if len(waiting) > 1:
            rows.append(_merge_row(lanes, waiting, delta.author))
            for k in reversed(waiting[1:]):
                lanes.close(k)
        lane = waiting[0] if waiting else lanes.first_free()
        looks = [_look(p, i, below) for p in delta.parents]
        rows.extend(_commit_rows(lanes, delta, lane, bool(waiting), looks))
    if lanes.ids:  # only lanes to parents outside the window are left: they go off the bottom
        cells, authors = lanes.row(0)
        rows.append(GraphRow(tuple(cells), tuple(authors), (None,) * (len(cells) - 1)))
    return rows


def _look(parent: str, index: int, below: Mapping[str, tuple[int, str]]) -> _Look:
    """The cell and colour of the lane leading to ``parent`` from the delta at ``index``."""
    found = below.get(parent)
    if found is not None and found[0] > index:
        return UP | DOWN, found[1]
    return UP | DOWN | DASHED, ""  # not further down: it is never reached, the lane runs out


def _merge_row(lanes: _Lanes, waiting: list[int], author: str) -> GraphRow:
    """The lanes waiting for one delta fold into the leftmost: ``├─┴─╯``."""
    cells, authors = lanes.row(0)
    first, last = waiting[0], waiting[-1]
    cells[first] = UP | DOWN | RIGHT
    for k in waiting[1:]:
        cells[k] = UP | LEFT | (RIGHT if k < last else 0)
    for k in range(first + 1, last):
        if not cells[k]:  # a free lane under the line is line too
            cells[k], authors[k] = LEFT | RIGHT, author
    gaps: list[str | None] = [None] * (len(cells) - 1)
    gaps[first:last] = [author] * (last - first)
    return GraphRow(tuple(cells), tuple(authors), tuple(gaps))


def _commit_rows(
    lanes: _Lanes, delta: DagDelta, lane: int, from_above: bool, looks: Sequence[_Look]
) -> list[GraphRow]:
    """The delta's row, then a fork row when it has several parents; moves the lanes on.

    ``looks[i]`` is the cell and colour of the lane to ``delta.parents[i]``.
    """
    parents = delta.parents
    cells, authors = lanes.row(lane + 1)
    cells[lane] = DOT | (UP if from_above else 0) | (DOWN if parents else 0)
    authors[lane] = delta.author
    drawn = tuple(cells), tuple(authors), (None,) * (len(cells) - 1)
    if not parents:
        if lane < len(lanes.ids):
            lanes.close(lane)
        return [GraphRow(*drawn, delta, lane)]
    lanes.open(lane, parents[0], *looks[0])  # the first parent goes straight on
    if len(parents) == 1:  # the common case, kept short
        return [GraphRow(*drawn, delta, lane, (lane,))]
    where = {parents[0]: lane}
    for parent, (cell, author) in zip(parents, looks, strict=True):
        if parent not in where:  # a parent named twice is one edge
            where[parent] = lanes.nearest_free(lane)
            lanes.open(where[parent], parent, cell, author)
    commit = GraphRow(*drawn, delta, lane, tuple([where[p] for p in parents]))
    if len(where) == 1:
        return [commit]
    return [commit, _fork_row(lanes, lane, list(where.values())[1:])]


def _fork_row(lanes: _Lanes, lane: int, targets: list[int]) -> GraphRow:
    """One horizontal line from the delta's lane to each newly opened one: ``╭─┼─┬─╮``."""
    cells, authors = lanes.row(0)
    low, high = min(lane, *targets), max(lane, *targets)
    cells[lane] = UP | DOWN | (LEFT if low < lane else 0) | (RIGHT if high > lane else 0)
    for k in targets:
        cells[k] = DOWN | (LEFT if k > low else 0) | (RIGHT if k < high else 0)
    # No free lane lies under the line: a nearer free lane would have been taken instead.
    gaps: list[str | None] = [None] * (len(cells) - 1)
    # A stretch of line shared by several edges takes the colour of the one that goes on.
    gaps[low:lane] = [authors[low]] * (lane - low)
    gaps[lane:high] = [authors[high]] * (high - lane)
    return GraphRow(tuple(cells), tuple(authors), tuple(gaps))


class _Line:
    """A line being built: its pieces, its style spans and its width in cells."""

    __slots__ = ("cells", "parts", "size", "spans")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[Span] = []
        self.size = 0  # characters, what spans count
        self.cells = 0  # terminal cells, what the width limits

    def add(self, text: str, style: str = "", cells: int = -1) -> None:
        """Append ``text`` (``cells`` wide, measured when not given) in ``style``."""
        start = self.size
        self.size = start + len(text)
        self.parts.append(text)
        self.cells += cell_len(text) if cells < 0 else cells
        if style:
            self.spans.append(Span(start, self.size, style))

    def text(self, width: int | None) -> Text:
        text = Text("".join(self.parts), spans=self.spans, no_wrap=True)
        if width is not None and self.cells > width:
            text.truncate(width, overflow="crop")
        return text


class _Paint(dict[str, str]):
    """Author → style: the caller's colour, else a stable one; dim for '' (outside)."""

    def __init__(self, colours: Mapping[str, str]) -> None:
        super().__init__({"": "dim"})
        self.colours = colours
        self.lanes: list[_ColumnSpans] = []
        self.gaps: list[_ColumnSpans] = []

    def __missing__(self, author: str) -> str:
        style = self[author] = self.colours.get(author) or node_colour(author)
        return style

    def spans(self, lanes: int) -> tuple[list[_ColumnSpans], list[_ColumnSpans]]:
        """Span makers, by author, of (at least) the first ``lanes`` lanes and their gaps."""
        while len(self.lanes) < lanes:
            self.lanes.append(_ColumnSpans(2 * len(self.lanes), self))
            self.gaps.append(_ColumnSpans(2 * len(self.gaps) + 1, self))
        return self.lanes, self.gaps


class _ColumnSpans(dict[str, Span]):
    """Author → the span colouring one column of a graph; many rows share each."""

    def __init__(self, column: int, paint: _Paint) -> None:
        super().__init__()
        self.column, self.paint = column, paint

    def __missing__(self, author: str) -> Span:
        span = self[author] = Span(self.column, self.column + 1, self.paint[author])
        return span


def render(
    rows: Sequence[GraphRow],
    heads: Mapping[str, Sequence[str]],
    colours: Mapping[str, str],
    *,
    width: int | None = None,
    max_lanes: int | None = None,
) -> list[Text]:
    """One line per row: the graph, then on commit rows the short id, author, summary, heads.

    ``heads``: node name → its head ids, marked on their rows in this order; ``colours``:
    node name → Rich colour (others get ``node_colour``). Lines are at most ``width`` cells:
    the summary is cut first (with ``…``), then the line itself.
    """
    if (width is not None and width < 1) or (max_lanes is not None and max_lanes < 1):
        raise ValueError(f"width and max_lanes must be at least 1, not {width}, {max_lanes}")
    if max_lanes is None and width is not None:
        max_lanes = max(1, width // 5)
    lanes = max((len(row.cells) for row in rows), default=0)
    shown = lanes if max_lanes is None or lanes <= max_lanes else max_lanes - 1
    paint = _Paint(colours)
    marks: dict[str, list[str]] = {}
    for name, ids in heads.items():
        for head in ids:
            marks.setdefault(head, []).append(name)
    lines = [_graph(row, shown, paint) for row in rows]
    texts = {
        k: _Described(row.delta, marks.get(row.delta.id, ()))
        for k, row in enumerate(rows)
        if row.delta is not None
    }
    author_cells = max((t.author_cells for t in texts.values()), default=0)
    column = max((lines[k].cells + t.cells(author_cells) + 2 for k, t in texts.items()), default=0)
    for k, described in texts.items():
        described.write(lines[k], author_cells, column, width, paint)
    return [line.text(width) for line in lines]


def _graph(row: GraphRow, shown: int, paint: _Paint) -> _Line:
    """The row's lanes up to ``shown``, then the overflow lane standing for the others."""
    cells, gaps = row.cells, row.gaps
    if len(cells) > shown:
        cells, gaps = cells[:shown], gaps[: max(0, shown - 1)]
    line = _Line()
    if cells:  # the hot path of render: comprehensions only, spans made once per column
        pairs = [_PAIRS[cell][gap is not None] for cell, gap in zip(cells, gaps, strict=False)]
        line.parts.append("".join(pairs) + _LIGHT[cells[-1]])
        line.size = line.cells = 2 * len(cells) - 1
        lanes, between = paint.spans(len(cells))
        line.spans = [
            at[who] for at, cell, who in zip(lanes, cells, row.authors, strict=False) if cell
        ]
        line.spans += [at[gap] for at, gap in zip(between, gaps, strict=False) if gap is not None]
    if len(row.cells) > shown:
        _overflow(line, row, shown, paint)
    return line


def _overflow(line: _Line, row: GraphRow, shown: int, paint: _Paint) -> None:
    """Draw lanes ``shown`` and on as one lane: what they hold, in heavy glyphs."""
    value = 0
    for cell in row.cells[shown:]:
        value |= cell & (UP | DOWN | DOT)
    edge = row.gaps[shown - 1] if shown else None
    if edge is not None:
        value |= LEFT
        line.add("─", paint[edge], 1)
    elif shown and value:
        line.add(" ", cells=1)
    if value:
        style = f"bold {paint[row.delta.author]}" if row.delta and value & DOT else "bold"
        line.add(_HEAVY[value], style, 1)


class _Described:
    """The text of a commit row after its graph: ``Qz9c  node-2  merge  ◀ node-1``."""

    __slots__ = ("author", "author_cells", "delta", "id", "lead", "mark_cells", "names", "summary")

    def __init__(self, delta: DagDelta, names: Sequence[str]) -> None:
        self.delta = delta
        self.id = _clean(delta.id[:SHORT_ID])
        self.lead = 3 + cell_len(self.id)  # " Qz9c  ", before the author
        self.author = _clean(delta.author)
        self.author_cells = cell_len(self.author)
        self.summary = _clean(delta.summary)
        self.names = names
        self.mark_cells = cell_len(" ".join((MARK, *names))) if names else 0

    def cells(self, author_cells: int) -> int:
        """Cells from the end of the graph to the end of the summary, uncut."""
        return self.lead + author_cells + (cell_len(self.summary) + 2 if self.summary else 0)

    def write(
        self, line: _Line, author_cells: int, column: int, width: int | None, paint: _Paint
    ) -> None:
        """Append the text to ``line``; heads start at ``column`` unless ``width`` forbids."""
        summary = self.summary
        if width is not None:
            end = width - (self.mark_cells + 2 if self.names else 0)
            summary = _fit(summary, end - line.cells - self.lead - author_cells - 2)
        at, author_at = line.size + 1, line.size + 3 + len(self.id)
        line.spans.append(Span(at, at + len(self.id), "dim"))
        line.spans.append(Span(author_at, author_at + len(self.author), paint[self.delta.author]))
        text = f" {self.id}  {self.author}"
        if summary or self.names:  # align what follows; no trailing blanks otherwise
            text += " " * (author_cells - self.author_cells)
        line.add(f"{text}  {summary}" if summary else text)
        if self.names:
            start = column if width is None else min(column, width - self.mark_cells)
            line.add(" " * max(2, start - line.cells))
            line.add(MARK, "bold", 1)
            for name in self.names:
                line.add(" ", cells=1)
                line.add(_clean(name), f"bold {paint[name]}")


def _clean(text: str) -> str:
    """``text`` with its control characters as blanks (a summary must stay on its line)."""
    return text if text.isprintable() else text.translate(_CONTROL)


def _fit(text: str, cells: int) -> str:
    """``text`` in at most ``cells`` cells, its end replaced by ``…`` when cut."""
    if cells <= 0:
        return ""
    if cell_len(text) <= cells:
        return text
    return chop_cells(text, cells - 1)[0] + "…" if cells > 1 else "…"  # no half wide glyph
