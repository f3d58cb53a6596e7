"""``devnet status``'s network line: a dead broker and nodes off the bus before the rules."""

from __future__ import annotations

import time

from calimero_devnet.cluster.netstate import network_words
from calimero_devnet.cluster.processes.broker_watch import BrokerHealth

HEALTHY = "healthy (no partition, no link fault)"
NOW = 1_700_000_010.0
UP = {"state": "connected", "since": 1, "attempt": 0, "error": None}
RETRYING = {"state": "reconnecting", "since": 1_700_000_007_000, "attempt": 4, "error": "refused"}


def test_a_healthy_network_with_every_link_up_says_the_rules_words() -> None:
    broker = BrokerHealth("amqtt", "mqtt://127.0.0.1:1883", managed=True)
    assert network_words(HEALTHY, broker, {"node-1": UP}, NOW) == HEALTHY
    assert network_words(HEALTHY, None, {}, NOW) == HEALTHY  # an older manager says nothing


def test_a_dead_broker_comes_first_then_the_nodes_off_the_bus() -> None:
    broker = BrokerHealth("amqtt", "mqtt://127.0.0.1:1883", True, up=False, since=NOW - 3,
                          reason="killed by SIGKILL")  # fmt: skip
    words = network_words(HEALTHY, broker, {"node-1": UP, "node-2": RETRYING}, NOW)
    since = time.strftime("%H:%M:%S", time.localtime(NOW - 3))
    assert words == (f"broker down since {since} (killed by SIGKILL), restarting it; "
                     "node-2 bus reconnecting (attempt 4, down 3 s)")  # fmt: skip
    assert "healthy" not in words


def test_an_external_broker_is_waited_for_not_restarted() -> None:
    broker = BrokerHealth("external", "mqtt://10.0.0.2:1883", False, up=False, since=NOW,
                          reason="is unreachable (refused)")  # fmt: skip
    assert network_words(HEALTHY, broker, {}, NOW).endswith(
        "(is unreachable (refused)), waiting for it to return"
    )


def test_many_nodes_off_the_bus_are_counted_and_rules_still_said() -> None:
    bus = {f"node-{i}": RETRYING for i in range(1, 6)} | {"node-9": "garbage"}
    words = network_words("partitions node-1 | node-2", None, bus, NOW)
    assert words == "5 nodes off the bus (node-1, node-2, node-3, …); partitions node-1 | node-2"
