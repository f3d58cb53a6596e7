"""The DAG drawing: golden drawings, its colours and width (properties: test_dag_properties)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.text import Text

from calimero_devnet.tui import dag
from calimero_devnet.tui.dag import PALETTE, DagDelta, layout, node_colour
from calimero_devnet.tui.dagrender import render
from tests.import_graph import ImportGraph
from tests.tui.dag_samples import delta, ids

COLOURS = {"node-1": "#111111", "node-2": "#222222", "node-3": "#333333"}


def drawn(deltas: list[DagDelta], heads: dict[str, tuple[str, ...]] | None = None,
          **options: int) -> list[str]:  # fmt: skip
    return [line.plain for line in render(layout(deltas), heads or {}, COLOURS, **options)]


MOCK = [
    delta("Qz9c", "9fK2", "Hh7x", author="node-2", summary="merge"),
    delta("Hh7x", "3Qa1", author="node-3", summary='set items["b"] = "2"'),
    delta("9fK2", "3Qa1", author="node-1", summary='set items["a"] = "1"'),
    delta("3Qa1", summary="init"),
]
ALL_AT_QZ9C = {"node-1": ids("Qz9c"), "node-2": ids("Qz9c"), "node-3": ids("Qz9c")}


# --- golden drawings --------------------------------------------------------------------
def test_a_line_is_one_lane() -> None:
    line = [delta("Cccc", "Bbbb"), delta("Bbbb", "Aaaa"), delta("Aaaa", summary="init")]
    assert drawn(line) == [
        "● Cccc  node-1  set Cccc",
        "● Bbbb  node-1  set Bbbb",
        "● Aaaa  node-1  init",
    ]


def test_a_fork_and_its_merge_draw_as_the_mock() -> None:
    assert drawn(MOCK, ALL_AT_QZ9C) == [
        '● Qz9c  node-2  merge                   ◀ node-1 node-2 node-3',
        "├─╮",
        '│ ● Hh7x  node-3  set items["b"] = "2"',
        '● │ 9fK2  node-1  set items["a"] = "1"',
        "├─╯",
        "● 3Qa1  node-1  init",
    ]  # fmt: skip


def test_three_branches_merged_by_one_delta() -> None:
    deltas = [
        delta("Mrge", "Aaaa", "Bbbb", "Cccc", summary="merge"),
        delta("Aaaa", "Base"),
        delta("Bbbb", "Base", author="node-2"),
        delta("Cccc", "Base", author="node-3"),
        delta("Base", summary="init"),
    ]
    assert drawn(deltas) == [
        "● Mrge  node-1  merge",
        "├─┬─╮",
        "● │ │ Aaaa  node-1  set Aaaa",
        "│ ● │ Bbbb  node-2  set Bbbb",
        "│ │ ● Cccc  node-3  set Cccc",
        "├─┴─╯",
        "● Base  node-1  init",
    ]


def test_parents_outside_the_window_run_off_the_bottom() -> None:
    deltas = [
        delta("Mrge", "Aaaa", "Old1", summary="merge"),
        delta("Aaaa", "Old2", author="node-2"),
    ]
    assert drawn(deltas, {"node-1": ids("Mrge")}) == [
        "● Mrge  node-1  merge       ◀ node-1",
        "├─╮",
        "● ┆ Aaaa  node-2  set Aaaa",
        "┆ ┆",
    ]


def test_two_heads_not_yet_merged_are_two_lanes_at_the_top() -> None:
    deltas = [delta("Left", "Base"), delta("Rght", "Base", author="node-2"), delta("Base")]
    assert drawn(deltas, {"node-1": ids("Left"), "node-2": ids("Rght")}) == [
        "● Left  node-1  set Left    ◀ node-1",
        "│ ● Rght  node-2  set Rght  ◀ node-2",
        "├─╯",
        "● Base  node-1  set Base",
    ]


def test_a_criss_cross_merge_crosses_lanes_under_a_plain_bar() -> None:
    deltas = [
        delta("Mg1a", "Aaaa", "Bbbb", summary="merge"),
        delta("Mg2b", "Bbbb", "Aaaa", author="node-2", summary="merge"),
        delta("Aaaa", "Base"),
        delta("Bbbb", "Base", author="node-2"),
        delta("Base", summary="init"),
    ]
    assert drawn(deltas) == [
        "● Mg1a  node-1  merge",
        "├─╮",
        "│ │ ● Mg2b  node-2  merge",
        "│ │ ├─╮",
        "├─│─│─╯",
        "● │ │ Aaaa  node-1  set Aaaa",
        "│ ├─╯",
        "│ ● Bbbb  node-2  set Bbbb",
        "├─╯",
        "● Base  node-1  init",
    ]


def test_a_parent_named_twice_is_one_edge() -> None:
    assert drawn([delta("Twce", "Once", "Once"), delta("Once")]) == [
        "● Twce  node-1  set Twce",
        "● Once  node-1  set Once",
    ]
    assert layout([delta("Twce", "Once", "Once"), delta("Once")])[0].parent_lanes == (0, 0)


def test_a_free_lane_on_the_left_is_reused_and_a_merge_line_runs_over_a_free_lane() -> None:
    deltas = [
        delta("Aaaa", "Xxxx"), delta("Bbbb", "Pppp", author="node-2"),
        delta("Cccc", "Xxxx", author="node-3"), delta("Pppp", "Qqqq", "Rrrr", author="node-2"),
        delta("Qqqq", author="node-2"), delta("Rrrr", author="node-3"), delta("Xxxx"),
    ]  # fmt: skip
    assert drawn(deltas) == [
        "● Aaaa  node-1  set Aaaa",
        "│ ● Bbbb  node-2  set Bbbb",
        "│ │ ● Cccc  node-3  set Cccc",
        "│ ● │ Pppp  node-2  set Pppp",
        "│ ├─│─╮",
        "│ ● │ │ Qqqq  node-2  set Qqqq",
        "│   │ ● Rrrr  node-3  set Rrrr",
        "├───╯",
        "● Xxxx  node-1  set Xxxx",
    ]


def test_a_parent_opens_the_nearest_free_lane_even_on_the_left() -> None:
    deltas = [
        delta("Aaaa", "Pppp"), delta("Bbbb", "Qqqq", author="node-2"), delta("Pppp"),
        delta("Qqqq", "Rrrr", "Ssss", author="node-2"), delta("Rrrr", author="node-2"),
        delta("Ssss", author="node-3"),
    ]  # fmt: skip
    assert drawn(deltas) == [
        "● Aaaa  node-1  set Aaaa",
        "│ ● Bbbb  node-2  set Bbbb",
        "● │ Pppp  node-1  set Pppp",
        "  ● Qqqq  node-2  set Qqqq",
        "╭─┤",
        "│ ● Rrrr  node-2  set Rrrr",
        "● Ssss  node-3  set Ssss",
    ]


def test_lanes_beyond_max_lanes_collapse_into_one_heavy_overflow_lane() -> None:
    deltas = [
        delta("Mrge", "Aaaa", "Bbbb", "Cccc", summary="merge"),
        delta("Aaaa", "Base"),
        delta("Bbbb", "Base", author="node-2"),
        delta("Cccc", "Base", author="node-3"),
        delta("Base", summary="init"),
    ]
    assert drawn(deltas, max_lanes=2) == [
        "● Mrge  node-1  merge",
        "├─┓",
        "● ┇ Aaaa  node-1  set Aaaa",
        "│ ● Bbbb  node-2  set Bbbb",
        "│ ● Cccc  node-3  set Cccc",
        "├─┛",
        "● Base  node-1  init",
    ]
    assert drawn(deltas, max_lanes=1)[:3] == [
        "● Mrge  node-1  merge",
        "┇",
        "● Aaaa  node-1  set Aaaa",
    ]


# --- width ------------------------------------------------------------------------------
def test_a_narrow_width_cuts_the_summary_first_and_keeps_the_head_markers() -> None:
    assert drawn(MOCK, ALL_AT_QZ9C, width=44) == [
        "● Qz9c  node-2  mer…  ◀ node-1 node-2 node-3",
        "├─╮",
        '│ ● Hh7x  node-3  set items["b"] = "2"',
        '● │ 9fK2  node-1  set items["a"] = "1"',
        "├─╯",
        "● 3Qa1  node-1  init",
    ]
    assert drawn(MOCK, ALL_AT_QZ9C, width=30)[2] == '│ ● Hh7x  node-3  set items["…'
    assert drawn(MOCK, ALL_AT_QZ9C, width=12)[0] == "● Qz9c  node"


def test_wide_characters_count_as_two_cells() -> None:
    wide = [delta("Wide", summary="値を設定しました")]
    (line,) = drawn(wide, width=26)
    assert line == "● Wide  node-1  値を設定…"
    assert cell_len(line) == 25  # half a wide glyph is not drawn


def test_control_characters_in_a_summary_stay_on_the_line() -> None:
    (line,) = drawn([delta("Ctrl", summary="a\nb\tc\x1b[31m")])
    assert line == "● Ctrl  node-1  a b c [31m"


@pytest.mark.parametrize("options", [{"width": 0}, {"max_lanes": 0}])
def test_a_width_or_lane_limit_below_one_is_refused(options: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        render(layout(MOCK), {}, COLOURS, **options)


# --- colours ----------------------------------------------------------------------------
def styles(text: Text) -> list[str]:
    """The style of every character (the last span over it wins, as Rich renders)."""
    out = [""] * len(text.plain)
    for span in text.spans:
        out[span.start : span.end] = [str(span.style)] * (span.end - span.start)
    return out


def test_lanes_take_the_colour_of_the_author_they_lead_to_and_ids_are_dim() -> None:
    lines = render(layout(MOCK), ALL_AT_QZ9C, COLOURS)
    top, fork, middle = lines[0], lines[1], lines[2]
    assert styles(top)[0] == COLOURS["node-2"]  # ● of the merge, by node-2
    assert styles(top)[2:6] == ["dim"] * 4  # Qz9c
    assert styles(top)[8:14] == [COLOURS["node-2"]] * 6  # node-2
    assert styles(fork) == [COLOURS["node-1"], COLOURS["node-3"], COLOURS["node-3"]]  # ├─╮
    assert styles(middle)[0] == COLOURS["node-1"]  # the │ leading to 9fK2, by node-1


def test_head_markers_are_bold_in_each_nodes_colour() -> None:
    top = render(layout(MOCK), ALL_AT_QZ9C, COLOURS)[0]
    at = top.plain.index("◀")
    assert styles(top)[at] == "bold"
    assert styles(top)[at + 2 : at + 8] == [f"bold {COLOURS['node-1']}"] * 6
    assert styles(top)[-6:] == [f"bold {COLOURS['node-3']}"] * 6


def test_a_lane_outside_the_window_is_dim_and_unknown_authors_get_a_stable_colour() -> None:
    lines = render(layout([delta("Aaaa", "Gone", author="stranger")]), {}, COLOURS)
    assert styles(lines[0])[0] == node_colour("stranger")
    assert node_colour("stranger") in PALETTE
    assert styles(lines[1]) == ["dim"]  # the ┆ going off the bottom


def test_colours_and_the_drawing_are_the_same_in_every_process() -> None:
    # A colour from hash() would change with PYTHONHASHSEED; these must not.
    script = (
        "from calimero_devnet.tui.dag import DagDelta, layout\n"
        "from calimero_devnet.tui.dagrender import render\n"
        "d = [DagDelta('A', ('B', 'C'), 'x', 'm'), DagDelta('B', (), 'y', ''), "
        "DagDelta('C', (), 'zz', '')]\n"
        "print([(t.plain, t.spans) for t in render(layout(d), {'x': ('A',)}, {})])\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": seed}, timeout=60,
        ).stdout
        for seed in ("1", "2", "3")
    }  # fmt: skip
    assert len(outputs) == 1


def test_the_drawing_imports_rich_and_the_standard_library_only() -> None:
    package = ImportGraph.read(Path(dag.__file__).parents[1])
    allowed = {"__future__", "collections", "dataclasses", "rich", "typing", "zlib"}
    for module in ("tui.dag", "tui.dagrender"):
        assert package.outer[f"calimero_devnet.{module}"] <= allowed
        assert package.inner[f"calimero_devnet.{module}"] <= {"calimero_devnet.tui.dag"}
