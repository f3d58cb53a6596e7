"""Provides ``BusTrace``: the cluster's replication messages as the broker relays them.

The manager subscribes to every context topic and every node's request topic (QoS 0) and
keeps, per message, its arrival time, topic, size and first ``HEAD_BYTES`` bytes: an append
to a bounded deque, nothing decoded while the cluster runs. ``lines`` decodes the kept
headers (kind, sender, context, the delta id, heads or requested ids) into one JSON object
per message, for the failure bundle's ``bus-trace.jsonl``. The nodes do no extra work; the
broker sends each message to one more subscriber.

Layout read (``wire.py``): version u8, tag u8, sender String (u32 length + UTF-8),
context [32], then per tag a delta (u32 length + the delta, whose first 32 bytes are its
id) or a list of ids (u32 count + 32 bytes each).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import struct
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

from calimero_devnet.ids import to_b58
from calimero_devnet.node.bus.session import MqttSession, SessionConfig, broker_address
from calimero_devnet.node.bus.topics import Topics
from calimero_devnet.node.bus.transport import BusStatistics
from calimero_devnet.node.bus.wire import Tag

TRACE_LIMIT = 20_000  # messages kept, the oldest dropped first
HEAD_BYTES = 640  # envelope + a delta id, or up to 18 ids
IDS_SHOWN = 16
KINDS = tuple(tag.name.lower().replace("_", "-") for tag in sorted(Tag))
_ID_LISTS = {"heads", "fetch-request"}


class BusTrace:
    """The last ``limit`` messages of the cluster's bus (see the module docstring)."""

    def __init__(self, broker_url: str, cluster_id: str, limit: int = TRACE_LIMIT) -> None:
        """Trace the cluster ``cluster_id`` on the broker at ``broker_url``."""
        self._topics = Topics(cluster_id)
        self.kept: deque[tuple[float, str, int, bytes]] = deque(maxlen=limit)
        self.seen = 0  # messages received, kept or since dropped
        client_id = f"devnet/{cluster_id}/trace-{os.getpid()}"
        config = SessionConfig(broker_address(broker_url), client_id=client_id)
        self._session = MqttSession(config, self._on_message, self._on_connect, BusStatistics())

    @contextlib.asynccontextmanager
    async def recording(self) -> AsyncIterator[BusTrace]:
        """Record for the block (the session reconnects by itself if the broker restarts)."""
        await self._session.subscribe(self._topics.prefix + "ctx/+/+", 0)
        await self._session.subscribe(self._topics.node("+", "req"), 0)
        task = asyncio.create_task(self._session.run(), name="bus-trace")
        try:
            yield self
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _on_connect(self) -> None:
        return None

    def _on_message(self, topic: str, payload: bytes) -> None:
        self.seen += 1
        rest = topic.removeprefix(self._topics.prefix)
        self.kept.append((time.time(), rest, len(payload), payload[:HEAD_BYTES]))

    def lines(self) -> Iterator[str]:
        """One JSON line per kept message, oldest first."""
        for at, topic, size, head in list(self.kept):
            yield json.dumps(trace_entry(at, topic, size, head), ensure_ascii=False)

    def write(self, path: Path) -> int:
        """Write ``bus-trace.jsonl`` to ``path``; return how many messages it holds."""
        lines = list(self.lines())
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return len(lines)


def trace_entry(at: float, topic: str, size: int, head: bytes) -> dict[str, Any]:
    """What a message's first bytes say: kind, sender, context and the ids it carries."""
    entry: dict[str, Any] = {"t": round(at, 4), "topic": topic, "size": size}
    try:
        entry |= _decoded(head)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError):
        entry["kind"] = "undecodable"
    return entry


def _decoded(head: bytes) -> dict[str, Any]:
    tag = head[1]
    kind = KINDS[tag] if tag < len(KINDS) else f"tag-{tag}"
    (name_len,) = struct.unpack_from("<I", head, 2)
    at = 6 + name_len
    found: dict[str, Any] = {"kind": kind, "sender": head[6:at].decode("utf-8")}
    if len(head) >= at + 32:
        found["context"] = to_b58(head[at : at + 32])
    at += 32
    if kind == "delta" and len(head) >= at + 36:
        found["delta"] = to_b58(head[at + 4 : at + 36])
    elif kind in _ID_LISTS and len(head) >= at + 4:
        (count,) = struct.unpack_from("<I", head, at)
        ids = [head[at + 4 + 32 * i : at + 36 + 32 * i] for i in range(min(count, IDS_SHOWN))]
        found["ids"] = [to_b58(raw) for raw in ids if len(raw) == 32]
        found["count"] = count
    return found
