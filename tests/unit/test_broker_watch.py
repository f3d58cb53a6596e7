"""The broker watch's logic over a fake broker handle: down, restart, back, said once each."""

from __future__ import annotations

import asyncio
import signal

import pytest

from calimero_devnet.cluster.events import BrokerBack, BrokerDown, ClusterEvent, Problem
from calimero_devnet.cluster.processes import broker_watch
from calimero_devnet.cluster.processes.broker_watch import BrokerHealth, BrokerWatch
from calimero_devnet.errors import ClusterError
from calimero_devnet.node.bus.link import LinkState, connected


class FakeBroker:
    """A broker handle whose process dies when told and whose starts may fail."""

    kind = "amqtt"
    url = "mqtt://127.0.0.1:1883"

    def __init__(self, failing_starts: int = 0) -> None:
        self.code: int | None = None
        self.starts = 0
        self.failing_starts = failing_starts

    def exit_code(self) -> int | None:
        return self.code

    def start(self) -> None:
        self.starts += 1
        if self.starts <= self.failing_starts:  # the port is taken, then the binary is gone
            raise ClusterError("port taken") if self.starts == 1 else OSError("no mosquitto")
        self.code = None


async def watch_until(watch: BrokerWatch, done: asyncio.Event) -> None:
    task = asyncio.create_task(watch.run())
    try:
        await asyncio.wait_for(done.wait(), 5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_killed_broker_is_said_down_restarted_and_said_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broker, events, republished = (
        FakeBroker(failing_starts=2),
        list[ClusterEvent](),
        asyncio.Event(),
    )

    async def on_back() -> None:
        republished.set()

    watch = BrokerWatch(broker, broker.url, events.append, on_back)  # type: ignore[arg-type]
    monkeypatch.setattr(broker_watch, "POLL_S", 0.001)
    broker.code = -signal.SIGKILL
    await watch_until(watch, republished)
    kinds = [type(event) for event in events]
    assert kinds == [BrokerDown, Problem, BrokerBack]  # two failed starts, said once
    assert events[0] == BrokerDown("amqtt", broker.url, "killed by SIGKILL", True)
    assert broker.starts == 3
    assert (watch.health.up, watch.health.restarts, watch.health.reason) == (True, 1, None)


async def test_a_halted_watch_restarts_nothing() -> None:
    broker, events = FakeBroker(), list[ClusterEvent]()

    async def on_back() -> None:
        raise AssertionError("not back")

    watch = BrokerWatch(broker, broker.url, events.append, on_back)  # type: ignore[arg-type]
    watch.halt()
    broker.code = -signal.SIGKILL
    await asyncio.wait_for(watch.run(), 1)
    assert (events, broker.starts) == ([], 0)


async def test_an_external_broker_is_said_down_and_back_from_the_managers_link() -> None:
    events, republished = list[ClusterEvent](), asyncio.Event()

    async def on_back() -> None:
        republished.set()

    watch = BrokerWatch(None, "mqtt://10.0.0.2:1883", events.append, on_back)
    watch.note_link(connected(1))
    watch.note_link(LinkState("disconnected", 2, 0, "refused"))
    watch.note_link(LinkState("reconnecting", 2, 3, "refused"))
    assert not watch.health.up
    watch.note_link(connected(3))
    await asyncio.wait_for(republished.wait(), 1)
    down, back = events
    assert down == BrokerDown("external", "mqtt://10.0.0.2:1883", "is unreachable (refused)", False)
    assert isinstance(back, BrokerBack)
    assert not back.restarted


def test_health_round_trips_through_json() -> None:
    health = BrokerHealth("mosquitto", "mqtt://127.0.0.1:1", True, False, 12.5, "killed", 2)
    assert BrokerHealth.from_json(health.to_json()) == health
    assert BrokerHealth.from_json({"kind": "x"}) is None
    assert BrokerHealth.from_json(None) is None


def test_an_external_broker_lost_before_the_managers_first_connect_is_down() -> None:
    events: list[ClusterEvent] = []

    async def on_back() -> None:
        """Nothing to republish here."""

    watch = BrokerWatch(None, "mqtt://10.0.0.2:1883", events.append, on_back)
    watch.note_link(LinkState("connecting", 0, 1, None))  # still trying: no news
    assert events == []
    watch.note_link(LinkState("connecting", 0, 1, "Operation timed out"))
    assert events == [
        BrokerDown(
            "external", "mqtt://10.0.0.2:1883", "is unreachable (Operation timed out)", False
        )
    ]
