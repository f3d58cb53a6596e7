"""Pilot tests: every action of the UI on a fake cluster, as keys and palette entries."""

from __future__ import annotations

from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from calimero_devnet.testing.fake_cluster import FakeSource
from calimero_devnet.tui.app import DevnetApp
from calimero_devnet.tui.call import CallScreen
from calimero_devnet.tui.detail import DeltaScreen, HelpScreen
from calimero_devnet.tui.dialogs import (
    ConfirmScreen,
    LatencyScreen,
    PartitionScreen,
    SnapshotNameScreen,
    SnapshotPickScreen,
)
from calimero_devnet.tui.widgets import DeltasTable, NodesTable
from tests.tui.harness import SIZE, make_app, settle


def headline(app: DevnetApp) -> str:
    return app.headline()


def notes(app: DevnetApp) -> list[str]:
    return [note.message for note in app._notifications]


async def select_node(pilot: Pilot[int], index: int) -> None:
    table = pilot.app.query_one(NodesTable)
    table.focus()
    table.action_jump(index)
    await pilot.pause()


async def test_the_nodes_show_and_the_verdict_is_in_words() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(NodesTable)
        assert table.row_count == 3
        assert table.cells_of("node-2")["state"] == "ready"
        assert "CONVERGED" in headline(app)


async def test_call_through_the_form_then_rerun() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, CallScreen)
        app.screen.query_one("#arg-key", Input).value = "a"
        app.screen.query_one("#arg-value", Input).value = "1"
        await pilot.press("ctrl+r")
        await settle(pilot)
        result = str(app.screen.query_one("#result", Static).render())
        assert "fuel 5,250,000" in result
        assert "delta " in result
        await pilot.press("escape")
        await pilot.press("R")
        await settle(pilot)
        calls = [a for a in fake.actions if a[0] == "call"]
        assert calls == [("call", "node-1", "set", '{"key": "a", "value": "1"}')] * 2
        assert fake.nodes["node-3"].values == {"a": "1"}
        assert app.query_one(DeltasTable).row_count == 2


async def test_the_call_form_is_filled_by_typing_alone() -> None:
    """The form opens on the first argument and Tab walks the fields (no scroll box between)."""
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("a", "tab", "h", "i", "ctrl+r")
        await settle(pilot)
        calls = [a for a in fake.actions if a[0] == "call"]
        assert calls == [("call", "node-1", "set", '{"key": "a", "value": "hi"}')]


async def test_a_call_error_shows_the_nodes_own_message() -> None:
    app, fake = make_app()
    fake.nodes["node-2"].running = False
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_node(pilot, 1)
        await pilot.press("c")
        await settle(pilot)
        app.screen.query_one("#arg-key", Input).value = "a"
        await pilot.press("ctrl+r")
        await settle(pilot)
        result = str(app.screen.query_one("#result", Static).render())
        assert "ClusterError: node-2 is not running: start it with `devnet start node-2`" in result
        assert isinstance(app.screen, CallScreen)  # the dialog stays, the app lives on


async def test_partition_write_both_sides_diverged_then_heal_converged() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        assert isinstance(app.screen, PartitionScreen)
        groups = app.screen.query_one("#groups", DataTable)
        groups.move_cursor(row=2)
        await pilot.press("space", "enter")
        await settle(pilot)
        assert fake.actions[-1] == ("partition", (("node-1", "node-2"), ("node-3",)))
        assert "PARTITIONED" in headline(app)
        assert app.query_one(NodesTable).cells_of("node-3")["grp"] == "B"
        await fake.call("node-1", "set", {"key": "a", "value": "1"})
        await fake.call("node-3", "set", {"key": "b", "value": "2"})
        await settle(pilot)
        assert "DIVERGED" in headline(app)
        assert "partitioned" in headline(app)
        await pilot.press("h")
        await settle(pilot)
        assert "CONVERGED" in headline(app)
        assert {n.name: n.values for n in fake.nodes.values()} == {
            n: {"a": "1", "b": "2"} for n in fake.nodes
        }


async def test_latency_dialog_sets_a_link() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        assert isinstance(app.screen, LatencyScreen)
        app.screen.query_one("#ms", Input).value = "80"
        app.screen.query_one("#loss", Input).value = "10"
        app.screen.query_one("#ms", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert fake.actions[-1] == ("latency", "node-1", "node-2", 80.0, 0.1, True)
        assert "node-1>node-2 80 ms" in headline(app)


async def test_kill_asks_first_ctrl_k_does_not_and_start_brings_it_back() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_node(pilot, 1)
        await pilot.press("k")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert not [a for a in fake.actions if a[0] == "node"]
        await pilot.press("k", "y")
        await settle(pilot)
        assert fake.actions[-1] == ("node", "node-2", "kill")
        assert app.query_one(NodesTable).cells_of("node-2")["state"] == "killed"
        await select_node(pilot, 2)
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert fake.actions[-1] == ("node", "node-3", "kill")
        await pilot.press("u")
        await settle(pilot)
        assert fake.actions[-1] == ("node", "node-3", "start")
        assert app.query_one(NodesTable).cells_of("node-3")["state"] == "ready"


async def test_stop_restart_redeploy_and_reset() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_node(pilot, 0)
        await pilot.press("t", "y")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("z", "y")
        await settle(pilot)
        assert [a for a in fake.actions if a[0] != "call"] == [
            ("node", "node-1", "stop"),
            ("node", "node-1", "restart"),
            ("redeploy", "kv-store"),
            ("reset", "kv-store"),
        ]


async def test_s_saves_a_snapshot_under_a_name_and_b_restores_a_picked_one() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")  # nothing to restore yet: said, nothing asked of the cluster
        await settle(pilot)
        assert not isinstance(app.screen, SnapshotPickScreen)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SnapshotNameScreen)
        assert app.screen.query_one(Input).value.startswith("snap-")  # a timestamp by default
        app.screen.query_one(Input).value = "before-bug"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, SnapshotPickScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert [a for a in fake.actions if a[0].startswith("snapshot")] == [
            ("snapshot save", "before-bug"),
            ("snapshot restore", "before-bug"),
        ]


async def test_a_failed_action_is_a_notification_and_the_app_lives_on() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fake.fail_next = "cannot publish network rules to the broker: is it running?"
        await pilot.press("h")
        await settle(pilot)
        assert "cannot publish network rules to the broker: is it running?" in notes(app)
        await pilot.press("h")
        await settle(pilot)
        assert fake.actions[-1] == ("heal",)


async def test_enter_opens_a_delta_in_full_and_esc_goes_back() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fake.call("node-2", "set", {"key": "k", "value": "v"})
        await settle(pilot)
        table = app.query_one(DeltasTable)
        table.focus()
        table.action_jump(0)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DeltaScreen)
        body = app.screen.body.plain
        assert 'items["k"] = "v"' in body
        assert "valid" in body
        assert "node-2" in body
        await pilot.press("escape")
        assert not isinstance(app.screen, DeltaScreen)


async def test_help_views_filter_scope_and_pause() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("colon")
        await pilot.press(*"logs", "enter")
        assert app.query_one("#tabs").active == "logs"  # type: ignore[attr-defined]
        await pilot.press("right_square_bracket")
        assert app.query_one("#tabs").active == "net"  # type: ignore[attr-defined]
        await pilot.press("colon", *"deltas", "enter")
        await fake.call("node-1", "set", {"key": "a", "value": "1"})
        await fake.call("node-2", "set", {"key": "b", "value": "2"})
        await settle(pilot)
        assert app.query_one(DeltasTable).row_count == 2
        await pilot.press("slash", *"author:node-2", "enter")
        await settle(pilot)
        assert app.query_one(DeltasTable).row_count == 1
        await pilot.press("escape")
        await settle(pilot)
        assert app.query_one(DeltasTable).row_count == 2
        await pilot.press("space")
        await fake.call("node-1", "set", {"key": "c", "value": "3"})
        await settle(pilot)
        assert app.query_one(DeltasTable).row_count == 2
        await pilot.press("space")
        await settle(pilot)
        assert app.query_one(DeltasTable).row_count == 3


async def test_palette_lists_every_action() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for expected in ("call (c)", "partition (p)", "heal (h)", "kill (k)", "view :dag"):
            assert expected in titles


async def test_quitting_an_attached_ui_leaves_the_cluster_alone() -> None:
    app, fake = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert not fake.actions


async def test_quitting_the_owner_asks_then_stops_the_cluster() -> None:
    app, _ = make_app(FakeSource(owner=True))
    stopped: list[bool] = []
    app.stop_cluster = lambda: stopped.append(True)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert stopped == []
        await pilot.press("q", "y")
        await pilot.pause()
        assert stopped == [True]


async def test_a_render_tick_as_the_app_closes_is_harmless() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert not app.screen_stack  # closed: a timer that fires now finds no screen
    app.render_now(everything=True)  # raised IndexError from screen_stack[0]


async def test_a_tab_right_after_c_reaches_the_call_form() -> None:
    """Keys sent as one burst (tmux send-keys, a paste): the Tab after "c" moves to the
    second argument; the form used to mount its fields late and take the focus back."""
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app._driver is not None
        for key, char in (("c", "c"), ("tab", "\t")):
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)  # no pause between the keys, as Pilot makes
        await settle(pilot)
        assert isinstance(app.screen, CallScreen)
        assert app.focused is not None
        assert app.focused.id == "arg-value"
