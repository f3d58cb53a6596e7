"""Remote nodes from their presence: ready, gone, restarted (``cluster/remotes.py``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from calimero_devnet.cluster.remotes import GONE, READY, STALE_AFTER_S, RemoteNodes
from calimero_devnet.errors import ParseError
from calimero_devnet.node.bus.presence import Presence, parse_presence
from calimero_devnet.node.service import ReadyInfo, presence_of

FAR = Presence("far-1", "http://10.0.0.2:4100", "KEY1", "hostb", 77)


def payload(presence: Presence = FAR, **changes: Any) -> bytes:
    return json.dumps(presence.to_json() | changes).encode()


def ready_tracker() -> RemoteNodes:
    nodes = RemoteNodes(["node-1", "node-2"])
    nodes.on_presence("far-1", payload(), now=0.0)
    nodes.on_status("far-1", "online")
    return nodes


def test_a_node_is_ready_once_presence_and_status_both_say_so_in_any_order() -> None:
    first = RemoteNodes(["node-1"])
    assert first.on_presence("far-1", payload(), now=0.0) is None  # status not heard yet
    change = first.on_status("far-1", "online")
    assert change is not None
    assert (change.state, change.url, change.machine, change.fresh) == (
        READY, FAR.url, "hostb", True,
    )  # fmt: skip
    other = RemoteNodes(["node-1"])
    assert other.on_status("far-1", "online") is None  # no presence yet: no URL
    assert other.on_presence("far-1", payload(), now=0.0) is not None
    node = other.get("far-1")
    assert node is not None
    assert (node.state, node.url) == (READY, FAR.url)


def test_a_retained_offline_beside_a_stale_presence_is_not_ready() -> None:
    nodes = RemoteNodes([])
    nodes.on_status("far-1", "offline")  # the last will of a node that crashed earlier
    assert nodes.on_presence("far-1", payload(), now=0.0) is None
    assert nodes.get("far-1") is None
    assert nodes.names() == []


def test_the_same_presence_again_changes_nothing() -> None:
    nodes = ready_tracker()
    assert nodes.on_presence("far-1", payload(), now=2.0) is None
    assert nodes.on_status("far-1", "online") is None


@pytest.mark.parametrize(
    ("kind", "why"),
    [("offline", "offline on the bus"), ("withdrawn", "withdrawn"), ("silent", "no presence")],
)
def test_offline_withdrawn_or_silent_is_gone_and_said_once(kind: str, why: str) -> None:
    nodes = ready_tracker()
    if kind == "offline":
        change = nodes.on_status("far-1", "offline")
    elif kind == "withdrawn":
        change = nodes.on_presence("far-1", b"", now=1.0)
    else:
        assert nodes.expire(STALE_AFTER_S - 0.5) == []
        [change] = nodes.expire(STALE_AFTER_S + 0.5)
    assert change is not None
    assert change.state == GONE
    assert why in change.why
    assert nodes.expire(100.0) == []
    node = nodes.get("far-1")
    assert node is not None
    assert (node.state, node.url) == (GONE, None)


def test_a_node_back_after_gone_or_restarted_is_fresh_to_adopt_again() -> None:
    nodes = ready_tracker()
    nodes.on_status("far-1", "offline")
    back = nodes.on_status("far-1", "online")
    assert back is not None
    assert (back.state, back.fresh) == (READY, True)
    moved = nodes.on_presence("far-1", payload(url="http://10.0.0.2:4200", pid=78), now=1.0)
    assert moved is not None
    assert (moved.url, moved.fresh) == ("http://10.0.0.2:4200", True)


def test_the_managers_own_nodes_are_never_remote() -> None:
    nodes = RemoteNodes(["node-1"])
    assert nodes.on_status("node-1", "online") is None
    assert nodes.on_presence("node-1", payload(Presence("node-1", "http://x:1", "K", "h", 1)),
                             now=0.0) is None  # fmt: skip
    assert "node-1" not in nodes


def test_bad_or_misaddressed_presence_is_ignored() -> None:
    nodes = RemoteNodes([])
    nodes.on_status("far-1", "online")
    assert nodes.on_presence("far-1", b"{not json", now=0.0) is None
    assert nodes.on_presence("far-1", payload(name="far-2"), now=0.0) is None
    assert nodes.get("far-1") is None


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"version": 2}, "version-1"),
        ({"url": "ftp://x"}, "not http"),
        ({"pid": "7"}, "pid must be an integer"),
        ({"machine": ""}, "must be text"),
    ],
)
def test_presence_documents_are_checked(changes: dict[str, Any], needle: str) -> None:
    with pytest.raises(ParseError, match=needle):
        parse_presence(payload(**changes))
    assert parse_presence(payload()) == FAR
    assert parse_presence(b"") is None


@pytest.mark.parametrize(
    ("advertise", "url"),
    [(None, "http://127.0.0.1:4100"), ("10.0.0.2", "http://10.0.0.2:4100"),
     ("https://far.lan/n1", "https://far.lan/n1")],
)  # fmt: skip
def test_a_node_announces_its_own_url_or_the_advertised_one(
    advertise: str | None, url: str
) -> None:
    ready = ReadyInfo("far-1", "127.0.0.1", 4100, b"\x01" * 32, pid=77)
    presence = presence_of(ready, advertise)
    assert (presence.name, presence.url, presence.pid) == ("far-1", url, 77)
    assert parse_presence(json.dumps(presence.to_json()).encode()) == presence
