"""Provides the UI test harness: a ``DevnetApp`` over a ``FakeSource`` with frozen time."""

from __future__ import annotations

from calimero_devnet.testing.fake_cluster import FakeSource
from calimero_devnet.tui.app import DevnetApp

RSS = 96 * 2**20


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
