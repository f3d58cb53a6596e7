"""Provides the network's health in words: the broker, the nodes' bus links, then the rules.

What ``devnet status`` prints after ``network:``. A dead broker or a node off the bus is
the news and comes first; the simulated rules (partitions, link faults) follow, and a
healthy network with every link up says just the rules' own words. Pure.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from calimero_devnet.cluster.processes.broker_watch import BrokerHealth
from calimero_devnet.node.bus.link import LinkState, describe

LISTED = 3  # nodes named one by one; more are counted


def network_words(
    rules_text: str, broker: BrokerHealth | None, bus: Mapping[str, Any],
    now: float | None = None,
) -> str:  # fmt: skip
    """The network in words; ``bus`` holds each node's link in its JSON form (or None).

    ``now`` is unix seconds (default: the clock).
    """
    now = time.time() if now is None else now
    parts = []
    if broker is not None and not broker.up:
        since = time.strftime("%H:%M:%S", time.localtime(broker.since))
        then = "restarting it" if broker.managed else "waiting for it to return"
        parts.append(f"broker down since {since} ({broker.reason}), {then}")
    off = {name: link for name, raw in sorted(bus.items())
           if (link := LinkState.from_json(raw)) is not None and not link.up}  # fmt: skip
    if off:
        parts.append(_off_the_bus(off, int(now * 1000)))
    if not parts:
        return rules_text
    if not rules_text.startswith("healthy"):
        parts.append(rules_text)
    return "; ".join(parts)


def _off_the_bus(off: Mapping[str, LinkState], now_ms: int) -> str:
    if len(off) <= LISTED:
        return "; ".join(f"{name} bus {describe(link, now_ms)}" for name, link in off.items())
    names = ", ".join(list(off)[:LISTED])
    return f"{len(off)} nodes off the bus ({names}, …)"
