"""Provides the ``Replicator``: a node's replication in its event loop (SYNC.md).

It owns the transport and a ``ReplicaEngine``. Every engine call runs on the RPC worker's
single thread (``CoreWorker.call``), after and before the node's other core calls, so the
store is never touched from two threads. Its tasks: receive (bus → batches of messages →
engine), send (engine's outgoing actions → bus, in order), feed (telemetry, bounded, oldest
dropped first), tick (retries and heads announcements). Local commits reach the engine
through the core's commit listener; on every (re)connect it announces heads at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from calimero_devnet.errors import ConfigError
from calimero_devnet.node.blobs.host import NodeBlobHost
from calimero_devnet.node.blobs.network import BLOB_MESSAGES, BlobNetwork
from calimero_devnet.node.bus.link import LinkState
from calimero_devnet.node.bus.mqtt import open_mqtt_transport
from calimero_devnet.node.bus.transport import BusMessage, Transport
from calimero_devnet.node.replication.engine import ReplicaEngine
from calimero_devnet.node.replication.feed import FeedEvent, feed_event, link
from calimero_devnet.node.replication.invited import InvitationWaiter
from calimero_devnet.node.replication.outbox import (
    AppSettled,
    Cast,
    Feed,
    JoinSettled,
    Outgoing,
    Send,
    Watch,
)
from calimero_devnet.node.rpc.worker import Core, CoreWorker
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.sync.protocol import SyncConfig

if TYPE_CHECKING:
    from calimero_devnet.node.config import NodeConfig

log = logging.getLogger(__name__)

TICK_S = 0.25
BATCH = 512
FEED_LIMIT = 2_000
FEED_BATCH = 200
FEED_PAUSE_S = 0.02
STATS_EVERY_S = 2.0
BUS_OUTBOX = 10_000  # sends queued while the broker is away (bursts of deltas fit)


class Replicator(InvitationWaiter):
    """Replicates the contexts of one node over one transport."""

    def __init__(
        self,
        worker: CoreWorker,
        transport: Transport,
        *,
        config: SyncConfig | None = None,
        tick_s: float = TICK_S,
        stats_every_s: float = STATS_EVERY_S,
    ) -> None:
        """Replicate the core owned by ``worker`` over ``transport`` (call ``start`` next).

        Args:
            worker: the node's core worker (every engine call runs on its thread).
            transport: the bus.
            config: sync settings; default: the node's name, 1 s announcements.
            tick_s: seconds between ticks (retries, due announcements, join requests).
            stats_every_s: seconds between checks of the transport's garbage counter.
        """
        super().__init__(worker)
        self._transport = transport
        self._config = config
        self._tick_s = tick_s
        self._stats_every_s = stats_every_s
        self._inbox: asyncio.Queue[BusMessage] = asyncio.Queue(4 * BATCH)
        self._outgoing: asyncio.Queue[list[Outgoing]] = asyncio.Queue()
        self._feed: deque[FeedEvent] = deque(maxlen=FEED_LIMIT)
        self._feed_ready = asyncio.Event()
        self._feed_dropped = 0
        self._decode_errors = 0
        self._link_said = "connecting"
        self.blobs: BlobNetwork | None = None

    async def start(self) -> None:
        """Build the engine on the worker thread and hook the transport's (re)connects."""

        def sink(items: list[Outgoing]) -> None:  # runs on the worker thread
            self._worker.post(self._outgoing.put_nowait, items)

        config = self._config
        self.engine = await self._worker.call(
            lambda core: ReplicaEngine(_node_core(core), sink, config)
        )
        self.blobs = _blob_network(self._worker.core, self._transport)
        self._transport.on_connect.append(self._on_connect)
        self._transport.on_link.append(self._on_link)
        self._on_link(self._transport.link())  # it may have connected already
        await self._transport.publish_status("online")

    def bus(self) -> dict[str, Any]:
        """Where the bus connection stands (``link.LinkState`` JSON), for the admin API."""
        return self._transport.link().to_json()

    def tasks(self) -> dict[str, Coroutine[Any, Any, None]]:
        """The coroutines to run as the node's named main-loop tasks."""
        return {
            "replication-receive": self._receive(),
            "replication-apply": self._process(),
            "replication-send": self._send(),
            "replication-feed": self._publish_feed(),
            "replication-tick": self._tick(),
        }

    # tasks
    async def _receive(self) -> None:
        blobs = self.blobs
        async for message in self._transport.incoming():
            if blobs is not None:
                blobs.saw(message)
                if isinstance(message, BLOB_MESSAGES):
                    blobs.handle(message)  # answered in the loop: never waits for the core
                    continue
            await self._inbox.put(message)  # back-pressure onto the transport's bounded inbox

    async def _process(self) -> None:
        engine = self.engine
        while True:
            batch = [await self._inbox.get()]
            while len(batch) < BATCH and not self._inbox.empty():
                batch.append(self._inbox.get_nowait())
            await self._guarded("handling messages", _handler(engine, batch))

    async def _send(self) -> None:
        while True:
            for item in await self._outgoing.get():
                try:
                    await self._carry_out(item)
                except Exception:  # a transport hiccup must not end replication
                    log.exception("replication could not carry out %s", type(item).__name__)

    async def _carry_out(self, item: Outgoing) -> None:
        match item:
            case Send(peer, message):
                await self._transport.send(peer, message)
            case Cast(message):
                await self._transport.broadcast(message)
            case Watch(context, True):
                await self._transport.watch_context(context)
            case Watch(context, False):
                await self._transport.unwatch_context(context)
            case Feed(event):
                self.feed(event)
            case JoinSettled(context, error):
                self.settle(context, error)
            case AppSettled(application, error):
                self.settle_app(application, error)

    def feed(self, event: FeedEvent) -> None:
        """Queue a feed event; when the feed falls behind, the oldest events go first."""
        if len(self._feed) == self._feed.maxlen:
            self._feed_dropped += 1
        self._feed.append(event)
        self._feed_ready.set()

    async def _publish_feed(self) -> None:
        while True:
            await self._feed_ready.wait()
            self._feed_ready.clear()
            if self._feed_dropped:
                dropped, self._feed_dropped = self._feed_dropped, 0
                await self._transport.publish_feed(feed_event("feedDropped", count=dropped))
            while self._feed:
                await self._transport.publish_feed(self._next_feed_message())
                await asyncio.sleep(FEED_PAUSE_S)  # let events gather into the next batch

    def _next_feed_message(self) -> FeedEvent:
        # One event alone goes as it is; several waiting go as one ``batch`` message, so a
        # busy node costs the broker a few messages a second, not one per delta.
        if len(self._feed) == 1:
            return self._feed.popleft()
        count = min(len(self._feed), FEED_BATCH)
        return feed_event("batch", events=[self._feed.popleft() for _ in range(count)])

    async def _tick(self) -> None:
        engine = self.engine
        next_stats = 0.0
        while True:
            await asyncio.sleep(self._tick_s)
            await self._guarded("a tick", lambda _: engine.tick(time.time_ns()))
            if time.monotonic() >= next_stats:
                next_stats = time.monotonic() + self._stats_every_s
                self._check_garbage()

    def _check_garbage(self) -> None:
        stats = self._transport.statistics()
        if stats.decode_errors > self._decode_errors:
            new = stats.decode_errors - self._decode_errors
            self._decode_errors = stats.decode_errors
            text = f"dropped {new} undecodable bus message(s) (garbage or a foreign version)"
            log.warning("%s", text)
            self.feed(feed_event("bus", None, text=text, **stats.as_dict()))

    def _on_link(self, state: LinkState) -> None:
        # A change of state is news; each retry of an outage is not (it would flood the feed,
        # which waits for the broker like everything else: the manager reads it once back).
        if state.state != self._link_said:
            self._link_said = state.state
            self.feed(link(state))

    async def _on_connect(self) -> None:
        engine = self.engine
        await self._guarded("announcing", lambda _: engine.announce(time.time_ns()))

    async def _guarded(self, what: str, job: Callable[[Core], None]) -> None:
        # The engine contains per-message failures; anything else is a bug or a broken
        # store: log it and keep replicating rather than take the whole node down.
        try:
            await self._worker.call(job)
        except Exception:
            log.exception("replication failed while %s", what)


def open_bus(config: NodeConfig) -> AbstractAsyncContextManager[Transport]:
    """Open the MQTT transport of a node started with ``--broker`` (the service's default)."""
    if config.broker is None:
        raise ConfigError(f"node {config.name} has no broker to replicate over: pass --broker")
    return open_mqtt_transport(config.broker, config.cluster, config.name, outbox_limit=BUS_OUTBOX)


def _handler(engine: ReplicaEngine, batch: list[BusMessage]) -> Callable[[Core], None]:
    return lambda _: engine.handle(batch, time.time_ns())


def _blob_network(core: Core, transport: Transport) -> BlobNetwork | None:
    """The node's ``BlobNetwork``, plugged into its blob host; None for a core without blobs."""
    host = getattr(core, "blobs", None)
    if not isinstance(host, NodeBlobHost):
        return None
    host.network = network = BlobNetwork(transport, host.store)
    return network


def _node_core(core: Core) -> NodeCore:
    if not isinstance(core, NodeCore):
        raise ConfigError(f"replication needs a real NodeCore, got {type(core).__name__}")
    return core
