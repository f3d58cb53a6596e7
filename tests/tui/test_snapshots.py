"""Snapshot tests of the main screens at 80x24 and 160x48, from deterministic fake data.

Update after a deliberate change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and look at the report before committing the new SVGs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from calimero_devnet.testing.fake_cluster import FakeSource
from tests.tui.harness import make_app, settle

SnapCompare = Callable[..., bool]
Step = Callable[[Pilot[Any]], Awaitable[None]]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times on screen are local: pin the zone so the pictures match everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def busy(fake: FakeSource) -> None:
    """A few writes on different nodes."""
    for i, node in enumerate(["node-1", "node-2", "node-3", "node-1"]):
        await fake.call(node, "set", {"key": f"k{i}", "value": f"v{i}"})


def scene(*steps: Step, partition: bool = False) -> tuple[Any, Step]:
    app, fake = make_app()

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await busy(fake)
        if partition:
            await fake.partition([["node-1", "node-2"], ["node-3"]])
            await fake.call("node-3", "set", {"key": "alone", "value": "x"})
        await settle(pilot)
        for step in steps:
            await step(pilot)
            await settle(pilot)

    return app, before


async def press(pilot: Pilot[Any], *keys: str) -> None:
    await pilot.press(*keys)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_main_screen(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app, before = scene()
    assert snap_compare(app, terminal_size=size, run_before=before)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
def test_diverged_under_a_partition(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app, before = scene(partition=True)
    assert snap_compare(app, terminal_size=size, run_before=before)


def test_events_view(snap_compare: SnapCompare) -> None:
    app, before = scene(lambda pilot: press(pilot, "colon", *"events", "enter"))
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)


def test_dag_after_a_heal(snap_compare: SnapCompare) -> None:
    async def heal_then_dag(pilot: Pilot[Any]) -> None:
        fake = getattr(pilot.app, "source", None)
        assert isinstance(fake, FakeSource)
        await fake.call("node-1", "set", {"key": "left", "value": "L"})  # concurrent with node-3
        await fake.heal()
        await settle(pilot)
        await pilot.press("colon", *"dag", "enter")

    app, before = scene(heal_then_dag, partition=True)
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)


def test_call_dialog(snap_compare: SnapCompare) -> None:
    app, before = scene(lambda pilot: press(pilot, "c"))
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)


def test_partition_dialog(snap_compare: SnapCompare) -> None:
    app, before = scene(lambda pilot: press(pilot, "p", "down", "down", "space"))
    assert snap_compare(app, terminal_size=(80, 24), run_before=before)


def test_help(snap_compare: SnapCompare) -> None:
    app, before = scene(lambda pilot: press(pilot, "question_mark"))
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)


def test_light_theme(snap_compare: SnapCompare) -> None:
    async def light(pilot: Pilot[Any]) -> None:
        pilot.app.theme = "textual-light"

    app, before = scene(light, partition=True)
    assert snap_compare(app, terminal_size=(160, 48), run_before=before)
