"""The monitor's routing of bus messages: own nodes' events, remote nodes' presence."""

from __future__ import annotations

import pytest

from calimero_devnet.cluster.events import ClusterEvent, FeedMessage, NodePresence
from calimero_devnet.cluster.monitor import FeedListener

P = "devnet/c1/node/"


@pytest.fixture
def listener() -> tuple[FeedListener, list[ClusterEvent], list[tuple[str, str, bytes]]]:
    events: list[ClusterEvent] = []
    remote: list[tuple[str, str, bytes]] = []
    feed = FeedListener("mqtt://127.0.0.1:1", "c1", ["node-1"], events.append)  # not connected
    feed.on_remote = lambda node, kind, payload: remote.append((node, kind, payload))
    known: set[str] = set()
    feed.remote_names = lambda: known
    return feed, events, remote


def test_own_nodes_give_events_and_their_presence_is_left_to_the_supervisor(
    listener: tuple[FeedListener, list[ClusterEvent], list[tuple[str, str, bytes]]],
) -> None:
    feed, events, remote = listener
    feed._on_message(P + "node-1/status", b"online")
    feed._on_message(P + "node-1/presence", b'{"version":1}')
    feed._on_message(P + "node-1/feed", b'{"event":"log"}')
    assert events == [NodePresence("node-1", "online"), FeedMessage("node-1", ({"event": "log"},))]
    assert remote == []


def test_other_nodes_status_and_presence_go_to_the_remote_side_their_feed_once_known(
    listener: tuple[FeedListener, list[ClusterEvent], list[tuple[str, str, bytes]]],
) -> None:
    feed, events, remote = listener
    feed._on_message(P + "far-1/status", b"online")
    feed._on_message(P + "far-1/presence", b"{}")
    assert remote == [("far-1", "status", b"online"), ("far-1", "presence", b"{}")]
    feed._on_message(P + "far-1/feed", b'{"event":"log"}')
    assert events == []  # not adopted yet: another cluster's stray node, maybe
    feed.remote_names = lambda: {"far-1"}
    feed._on_message(P + "far-1/feed", b'{"event":"log"}')
    assert events == [FeedMessage("far-1", ({"event": "log"},))]


def test_without_a_remote_side_other_nodes_are_ignored_as_before() -> None:
    events: list[ClusterEvent] = []
    feed = FeedListener("mqtt://127.0.0.1:1", "c1", ["node-1"], events.append)
    for kind in ("status", "presence", "feed"):
        feed._on_message(P + f"far-1/{kind}", b"{}")
    assert events == []
