"""The DAG drawing over random DAGs (read back glyph by glyph), and the reader itself."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from calimero_devnet.tui.dag import DagDelta, GraphRow, layout
from calimero_devnet.tui.dagrender import render
from tests.tui.dag_reading import Malformed, follow, loose_ends, takes_a_line_down
from tests.tui.dag_samples import heads_of, windows
from tests.tui.test_dag import COLOURS, MOCK, drawn


# --- properties over random DAGs --------------------------------------------------------
def graphs_of(rows: list[GraphRow], lines: list[str]) -> list[str]:
    """Each line's graph part (the text after it is not the reader's business)."""
    return [line[: 2 * len(row.cells) - 1] for row, line in zip(rows, lines, strict=True)]


@settings(max_examples=300, deadline=None)
@given(windows())
def test_every_delta_is_one_commit_row_in_input_order_and_rows_are_trimmed(
    deltas: list[DagDelta],
) -> None:
    rows = layout(deltas)
    assert [row.delta for row in rows if row.delta is not None] == deltas
    graphs = graphs_of(rows, drawn(deltas))
    for row, graph in zip(rows, graphs, strict=True):
        assert graph == row.glyphs
        assert graph.count("●") == (row.delta is not None)
        assert not graph.endswith(" ")  # free lanes on the right are trimmed
        if row.delta is not None:
            assert graph.index("●") == 2 * row.lane


@settings(max_examples=300, deadline=None)
@given(windows())
def test_following_the_glyphs_from_a_delta_reaches_exactly_its_parents(
    deltas: list[DagDelta],
) -> None:
    rows = layout(deltas)
    graphs = graphs_of(rows, drawn(deltas))
    assert loose_ends(graphs) == []
    commit_rows = [r for r, row in enumerate(rows) if row.delta is not None]
    where = {}
    for r in reversed(commit_rows):
        where[rows[r].delta.id] = r  # type: ignore[union-attr]
    for r in commit_rows:
        delta_row = rows[r]
        assert delta_row.delta is not None
        parents = delta_row.delta.parents
        if not parents:
            assert not takes_a_line_down(graphs, r, 2 * delta_row.lane), graphs
            continue
        assert delta_row.parent_lanes[0] == delta_row.lane  # the first parent goes straight on
        assert len(set(delta_row.parent_lanes)) == len(set(parents))
        reached = follow(graphs, r, 2 * delta_row.lane)
        inside = {where[p] for p in parents if where.get(p, -1) > r}
        assert reached.commits == inside, (deltas, graphs)
        assert reached.bottom == any(where.get(p, -1) <= r for p in parents), graphs


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_no_line_is_wider_than_asked(data: st.DataObject) -> None:
    deltas = data.draw(windows())
    heads = data.draw(heads_of(deltas))
    width = data.draw(st.integers(1, 90))
    max_lanes = data.draw(st.none() | st.integers(1, 6))
    lines = render(layout(deltas), heads, COLOURS, width=width, max_lanes=max_lanes)
    assert all(cell_len(line.plain) <= width for line in lines)


@settings(max_examples=200, deadline=None)
@given(windows(), st.integers(1, 4))
def test_no_graph_is_wider_than_max_lanes(deltas: list[DagDelta], max_lanes: int) -> None:
    graph_cells = 2 * max_lanes - 1
    lines = render(layout(deltas), {}, COLOURS, max_lanes=max_lanes)
    for row, line in zip(layout(deltas), lines, strict=True):
        graph = line.plain if row.delta is None else line.plain[: line.plain.index(" D")]
        assert cell_len(graph) <= graph_cells, lines


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_lane_limit_the_graph_fits_in_changes_nothing(data: st.DataObject) -> None:
    deltas = data.draw(windows())
    rows = layout(deltas)
    lanes = max(len(row.cells) for row in rows)
    limited = render(rows, {}, COLOURS, max_lanes=lanes + data.draw(st.integers(0, 3)))
    assert limited == render(rows, {}, COLOURS)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_the_same_input_draws_the_same_lines(data: st.DataObject) -> None:
    deltas = data.draw(windows())
    heads = data.draw(heads_of(deltas))
    assert layout(deltas) == layout(list(deltas))
    first = render(layout(deltas), heads, COLOURS, width=60)
    again = render(layout(deltas), dict(heads), dict(COLOURS), width=60)
    assert [(t.plain, t.spans) for t in first] == [(t.plain, t.spans) for t in again]


# --- the reader itself bites ------------------------------------------------------------
def test_the_reader_finds_both_parents_of_the_mock_merge() -> None:
    graphs = graphs_of(layout(MOCK), drawn(MOCK))
    assert follow(graphs, 0, 0).commits == {2, 3}
    assert follow(graphs, 2, 2).commits == {5}


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        (["●", "├─ ", "│ ●", "● │", "├─╯", "●"], "runs into"),  # the fork's corner lost
        (["●", "├─╮", "│ ●", "● │", "├ ╯", "●"], "stops"),  # the merge line cut
        (["●", "├─╮", "│  ", "● │", "├─╯", "●"], "ends in"),  # a lane broken
    ],
)
def test_the_reader_rejects_a_broken_drawing(broken: list[str], why: str) -> None:
    with pytest.raises(Malformed, match=why):
        read_every_delta(broken)


def read_every_delta(graphs: list[str]) -> None:
    for r, line in enumerate(graphs):
        if "●" in line:
            follow(graphs, r, line.index("●"))


def test_the_reader_sees_a_missing_edge_a_false_one_and_a_line_from_nowhere() -> None:
    assert follow(["●", "│", "│ ●", "● │", "├─╯", "●"], 0, 0).commits == {3}  # no fork row
    # A fork line into a lane that goes on (├─┤) would join the lane's own child to the
    # merge's first parent too: the layout never draws one, the reader would see it.
    joined = ["●", "│ ●", "├─┤", "● │", "│ ●"]
    assert follow(joined, 1, 2).commits == {3, 4}
    assert loose_ends(["●", "│ │", "●"]) == ["row 1, column 2: '│' under ' '"]
