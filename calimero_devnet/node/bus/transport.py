"""Provides the ``Transport`` seam between a node's replication shell and the bus.

Two implementations honour the same contract and the same simulated network rules
(``net_rules.py``): the MQTT adapter (``bus_transport.py``) and the in-memory bus for unit
tests (``calimero_devnet.testing.memory_bus``).

Contract:
    * ``broadcast`` reaches every other node watching the message's context; ``send``
      reaches one peer. Neither blocks while disconnected: messages wait in a bounded
      queue and are sent on reconnect, or counted in ``statistics().dropped_queue``.
    * A ``send`` to a peer cut off by a partition is dropped at once (the caller's request
      times out, as on a real network).
    * ``incoming()`` yields decoded messages from other nodes only (never our own echoes),
      after the receive-side network rules (partition, loss, latency). Garbage is logged,
      counted in ``decode_errors`` and dropped.
    * ``publish_feed``, ``publish_status`` and ``publish_presence`` are the control plane:
      never cut by rules.
    * ``on_connect`` callbacks run after every connection, the first one included when
      they are registered before it completes (register them right after opening), and
      (MQTT) after every change of the network rules while connected: a heal reconnects
      peers as surely as a reconnect does.
    * ``link()`` says where the connection stands (``link.LinkState``); every change is
      told to the ``on_link`` listeners, synchronously, in the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol, TypeAlias

from calimero_devnet.node.blobs.messages import BlobAnnouncement, BlobRequest, BlobResponse
from calimero_devnet.node.bus.link import LinkState
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.sync.apps import AppRequest, AppResponse
from calimero_devnet.node.sync.membership import MembersUpdate
from calimero_devnet.node.sync.messages import (
    DeltaBroadcast,
    FetchRequest,
    FetchResponse,
    HeadsAnnouncement,
    SnapshotRequest,
    SnapshotResponse,
)

Broadcast: TypeAlias = (
    DeltaBroadcast[CausalDelta] | HeadsAnnouncement | MembersUpdate | BlobAnnouncement
)
Direct: TypeAlias = (
    FetchRequest
    | FetchResponse[CausalDelta]
    | SnapshotRequest
    | SnapshotResponse
    | BlobRequest
    | BlobResponse
    | AppRequest
    | AppResponse
)
BusMessage: TypeAlias = Broadcast | Direct

OnConnect: TypeAlias = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class BusStatistics:
    """Counters of one transport, for the node's feed."""

    sent: int = 0  # messages handed to the bus
    received: int = 0  # messages yielded by incoming()
    dropped_rules: int = 0  # cut by the simulated network (partition or loss), both ways
    dropped_queue: int = 0  # lost because a bounded queue was full
    decode_errors: int = 0  # garbage payloads (or a topic that disagrees with its payload)
    delayed: int = 0  # held back by a latency rule (then delivered)
    connects: int = 0  # successful (re)connections of the data session

    def as_dict(self) -> dict[str, int]:
        """Return the counters as a JSON-ready dict."""
        return asdict(self)


class Transport(Protocol):
    """What the replication shell needs from the bus (see the module docstring)."""

    node: str
    connected: asyncio.Event
    on_connect: list[OnConnect]
    on_link: list[Callable[[LinkState], None]]

    async def broadcast(self, message: Broadcast) -> None:
        """Publish on the message's context topic (``delta``/``members`` QoS1, ``heads`` QoS0)."""
        ...

    async def send(self, peer: str, message: Direct) -> None:
        """Send one message to ``peer`` (QoS1)."""
        ...

    async def watch_context(self, context: bytes) -> None:
        """Receive the broadcasts of ``context`` from now on."""
        ...

    async def unwatch_context(self, context: bytes) -> None:
        """Stop receiving the broadcasts of ``context``."""
        ...

    def incoming(self) -> AsyncIterator[BusMessage]:
        """Iterate over received messages (one consumer)."""
        ...

    async def publish_feed(self, event: Mapping[str, Any]) -> None:
        """Publish a JSON telemetry event on this node's feed (QoS0, never cut)."""
        ...

    async def publish_status(self, status: str) -> None:
        """Publish this node's retained presence (the last will says ``offline``)."""
        ...

    async def publish_presence(self, document: Mapping[str, Any]) -> None:
        """Publish where this node serves (retained JSON, control plane; cleared on close)."""
        ...

    def statistics(self) -> BusStatistics:
        """Return a snapshot of the counters."""
        ...

    def link(self) -> LinkState:
        """Where the connection to the broker stands now."""
        ...
