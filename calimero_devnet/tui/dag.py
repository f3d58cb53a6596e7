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

# The stubs of a lane's cell in one row: the sides its lines leave by; DOT: the delta itself;
# DASHED: the lane leads to a parent outside the window.
UP, DOWN, LEFT, RIGHT, DOT, DASHED = 1, 2, 4, 8, 16, 32
SHORT_ID = 4
MARK = "◀"
# Mid-lightness hues that keep their contrast on dark and on light terminal themes.
PALETTE = (
    "#3b8eea", "#d7875f", "#5fa85f", "#b267e6", "#c9a227", "#2aa198", "#e0608a", "#7f8fa6",
)  # fmt: skip
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


LIGHT = _glyph_table(
    {0: " ", UP | DOWN | RIGHT: "├", UP | DOWN | LEFT: "┤", UP | DOWN | LEFT | RIGHT: "┼",
     DOWN | RIGHT: "╭", DOWN | LEFT: "╮", UP | RIGHT: "╰", UP | LEFT: "╯",
     UP | LEFT | RIGHT: "┴", DOWN | LEFT | RIGHT: "┬", LEFT | RIGHT: "─", LEFT: "─", RIGHT: "─"},
    "│", "┆",
)  # fmt: skip
HEAVY = _glyph_table(
    {0: " ", UP | DOWN | RIGHT: "┣", UP | DOWN | LEFT: "┫", UP | DOWN | LEFT | RIGHT: "╋",
     DOWN | RIGHT: "┏", DOWN | LEFT: "┓", UP | RIGHT: "┗", UP | LEFT: "┛",
     UP | LEFT | RIGHT: "┻", DOWN | LEFT | RIGHT: "┳", LEFT | RIGHT: "━", LEFT: "━", RIGHT: "━"},
    "┇", "┇",
)  # fmt: skip
LANE_PAIRS = tuple((glyph + " ", glyph + "─") for glyph in LIGHT)  # a lane and the gap after it


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
            out.append(LIGHT[cell])
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
