"""Pilot tests of the row lists' own drawing: changed rows redrawn, the same lines as
Textual's own pass."""

from __future__ import annotations

from textual.geometry import Region
from textual.widget import Widget

from calimero_devnet.tui.widgets import DeltasTable, NodesTable
from tests.tui.harness import SIZE, make_app, settle


async def test_a_row_that_changes_is_drawn_again() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fake.partition([["node-1", "node-2"], ["node-3"]])
        await fake.call("node-3", "set", {"key": "b", "value": "2"})
        await fake.call("node-1", "set", {"key": "c", "value": "3"})  # b is no longer last
        await settle(pilot)
        table = app.query_one(DeltasTable)

        def on_cells() -> list[str]:
            return [table.render_line(y).text.split()[4] for y in range(table.row_count)]

        assert on_cells() == ["1/3", "2/3"]
        await fake.heal()
        await settle(pilot)
        assert on_cells()[:2] == ["3/3", "3/3"]


async def test_an_old_delta_row_shows_the_nodes_that_apply_it_after_a_heal() -> None:
    """Rows far up the list still count the nodes that apply them late (a healed partition
    applies old deltas): the table redraws only changed rows and must see these change."""
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fake.partition([["node-1", "node-2"], ["node-3"]])
        for n in range(60):
            await fake.call("node-1", "set", {"key": f"k{n}", "value": "v"})
        await settle(pilot)
        table = app.query_one(DeltasTable)
        first = app.model.deltas[next(iter(app.model.deltas))][0].id
        assert "2/3" in (table.row_plain(first) or "")
        await fake.heal()
        await settle(pilot)
        assert "3/3" in (table.row_plain(first) or "")


async def test_row_lists_draw_what_textuals_own_pass_would() -> None:
    """The row list hands its cached strips to the compositor; the screen must not change."""
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for n in range(5):
            await fake.call("node-2", "set", {"key": f"k{n}", "value": "v"})
        await settle(pilot)
        for table in (app.query_one(DeltasTable), app.query_one(NodesTable)):
            whole = table.size.region
            for crop in (whole, Region(3, 1, whole.width - 5, 3)):
                ours = [list(strip) for strip in table.render_lines(crop)]
                table._styles_cache.clear()
                textuals = [list(strip) for strip in Widget.render_lines(table, crop)]
                assert ours == textuals
