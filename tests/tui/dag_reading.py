"""Provides a reader of drawn DAGs: it follows the glyphs, as a person would, to find edges.

It knows nothing of the layout: only the box-drawing glyphs and that lines run downward.
From a commit's ``●`` it goes down; a glyph entered from above sends the line on through each
of its other stubs except up; a horizontal line passes under a plain ``│``/``┆`` (a
crossing) and enters a junction from its side. It reports the rows of the commits it
arrives at from above and whether it left the bottom of the drawing; it raises
``Malformed`` where a line ends in a glyph that does not take it (a broken drawing).
"""

from __future__ import annotations

from dataclasses import dataclass

U, D, L, R = 1, 2, 4, 8
STUBS = {
    " ": 0, "│": U | D, "┆": U | D, "─": L | R,
    "├": U | D | R, "┤": U | D | L, "┼": U | D | L | R, "┬": D | L | R, "┴": U | L | R,
    "╭": D | R, "╮": D | L, "╰": U | R, "╯": U | L,
}  # fmt: skip
DOT = "●"
CROSSINGS = ("│", "┆")  # no horizontal stub: a line passes under them


class Malformed(AssertionError):
    """A line that the next glyph does not continue."""


@dataclass(frozen=True)
class Reached:
    commits: frozenset[int]
    bottom: bool


def glyph(graphs: list[str], row: int, col: int) -> str:
    line = graphs[row]
    return line[col] if 0 <= col < len(line) else " "


def follow(graphs: list[str], row: int, col: int) -> Reached:
    """Where the lines leaving the ``●`` at (row, col) downward lead."""
    commits: set[int] = set()
    bottom = False
    todo = [(row + 1, col)]  # cells entered from above
    seen: set[tuple[int, int]] = set()
    while todo:
        r, c = todo.pop()
        if (r, c) in seen:
            continue
        seen.add((r, c))
        if r == len(graphs):
            bottom = True
            continue
        g = glyph(graphs, r, c)
        if g == DOT:
            commits.add(r)
            continue
        stubs = STUBS.get(g)
        if stubs is None or not stubs & U:
            raise Malformed(f"a line from above ends in {g!r} at row {r}, column {c}")
        if stubs & D:
            todo.append((r + 1, c))
        for side, step in ((L, -2), (R, 2)):
            if stubs & side:
                todo.extend(_along(graphs, r, c, step))
    return Reached(frozenset(commits), bottom)


def _along(graphs: list[str], r: int, c: int, step: int) -> list[tuple[int, int]]:
    """Follow a horizontal line from lane column ``c``; the cells it goes down into."""
    down = []
    back = L if step > 0 else R
    while True:
        gap = glyph(graphs, r, c + step // 2)
        if gap != "─":
            raise Malformed(f"a line stops at {gap!r} at row {r}, column {c + step // 2}")
        c += step
        g = glyph(graphs, r, c)
        if g in CROSSINGS:
            continue
        stubs = STUBS.get(g, 0)
        if not stubs & back:
            raise Malformed(f"a line runs into {g!r} at row {r}, column {c}")
        if stubs & D:
            down.append((r + 1, c))
        if not stubs & (R if step > 0 else L):
            return down


def loose_ends(graphs: list[str]) -> list[str]:
    """Lines from nowhere: an up stub under a glyph with no line down (``●`` may have one)."""
    found = []
    for r, line in enumerate(graphs):
        for c in range(0, len(line), 2):
            if STUBS.get(line[c], 0) & U:
                above = glyph(graphs, r - 1, c) if r else " "
                if above != DOT and not STUBS.get(above, 0) & D:
                    found.append(f"row {r}, column {c}: {line[c]!r} under {above!r}")
    return found


def takes_a_line_down(graphs: list[str], row: int, col: int) -> bool:
    """Whether the glyph under (row, col) continues a line from above."""
    return row + 1 < len(graphs) and bool(STUBS.get(glyph(graphs, row + 1, col), 0) & U)
