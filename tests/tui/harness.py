"""Provides the UI test harness: a ``DevnetApp`` over a ``FakeSource`` with frozen time."""

from __future__ import annotations

from textual.pilot import Pilot

from calimero_devnet.testing.fake_cluster import FakeSource
from calimero_devnet.tui.app import DevnetApp

RSS = 96 * 2**20
SIZE = (160, 48)


def fake_stats(pids: dict[str, int]) -> dict[str, tuple[int, float]]:
    """Every running node at 96 MiB and 3 % CPU."""
    return {name: (RSS, 3.0) for name in pids}


def make_app(
    source: FakeSource | None = None, *, start: bool = True
) -> tuple[DevnetApp, FakeSource]:
    """An attached app over a fake 3-node cluster (started unless ``start`` is False)."""
    fake = source or FakeSource()
    if start:
        fake.start_up()
    app = DevnetApp(
        fake.cluster_id,
        fake.node_names(),
        source=fake,
        clock=lambda: fake.now,
        stats=fake_stats,
        tail_logs=False,
    )
    return app, fake


async def settle(pilot: Pilot[int]) -> None:
    """Let the app's action workers finish, then draw everything once."""
    await pilot.pause(0.05)
    busy = [w for w in pilot.app.workers if w.group in {"actions", "dag", "call"}]
    if busy:  # (an empty list would mean "every worker", the endless event stream too)
        await pilot.app.workers.wait_for_complete(busy)
    await pilot.pause(0.05)
    pilot.app.render_now(everything=True)  # type: ignore[attr-defined]
    await pilot.pause()
