"""Provides ``render``: the ``GraphRow``s of ``dag.layout`` as coloured Rich lines.

Each row becomes one ``Text`` of at most ``width`` cells: the lanes' glyphs, then for a
commit row the short id, the author, the delta's summary, and the head markers of the
nodes whose heads include it. Colours and glyph rules are described in ``dag.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.cells import cell_len, chop_cells
from rich.text import Span, Text

from calimero_devnet.tui.dag import (
    DOT,
    DOWN,
    HEAVY,
    LANE_PAIRS,
    LEFT,
    LIGHT,
    MARK,
    SHORT_ID,
    UP,
    DagDelta,
    GraphRow,
    node_colour,
)

_CONTROL = dict.fromkeys((*range(32), 127), " ")


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
        pairs = [LANE_PAIRS[cell][gap is not None] for cell, gap in zip(cells, gaps, strict=False)]
        line.parts.append("".join(pairs) + LIGHT[cells[-1]])
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
        line.add(HEAVY[value], style, 1)


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
