"""The bus trace's reading of message headers, on real wire encodings of every message."""

from __future__ import annotations

import json
from pathlib import Path

from calimero_devnet.cluster.bustrace import HEAD_BYTES, BusTrace, trace_entry
from calimero_devnet.ids import to_b58
from calimero_devnet.node.bus import wire
from calimero_devnet.node.sync.messages import DeltaBroadcast, FetchRequest, HeadsAnnouncement
from tests.unit.bus_samples import CTX, every_message


def entries() -> list[dict[str, object]]:
    out = []
    for message in every_message("node-1"):
        data = wire.encode(message)
        out.append(trace_entry(12.5, "ctx/x/delta", len(data), data[:HEAD_BYTES]))
    return out


def test_every_message_kind_is_named_with_its_sender_and_context() -> None:
    found = entries()
    assert [e["kind"] for e in found] == [
        "delta", "heads", "fetch-request", "fetch-response", "snapshot-request",
        "snapshot-response", "snapshot-response", "members", "blob-announce", "blob-request",
        "blob-response", "blob-response", "app-request", "app-response", "app-response",
    ]  # fmt: skip
    assert {e["sender"] for e in found} == {"node-1"}
    assert {e["context"] for e in found} == {to_b58(CTX)}
    assert found[0]["t"] == 12.5
    assert found[0]["topic"] == "ctx/x/delta"


def test_a_delta_names_its_id_and_heads_and_fetches_their_ids() -> None:
    delta, heads, fetch = every_message("node-1")[:3]
    assert isinstance(delta, DeltaBroadcast)
    assert isinstance(heads, HeadsAnnouncement)
    assert isinstance(fetch, FetchRequest)
    found = entries()
    assert found[0]["delta"] == to_b58(delta.delta.id)
    assert found[1]["ids"] == [to_b58(h) for h in heads.heads]
    assert found[1]["count"] == 2
    assert found[2]["ids"] == [to_b58(i) for i in fetch.ids]


def test_garbage_is_undecodable_not_an_error() -> None:
    assert trace_entry(1.0, "ctx/x/delta", 3, b"\x01\x00\xff")["kind"] == "undecodable"


def test_the_trace_keeps_the_newest_messages_up_to_its_limit(tmp_path: Path) -> None:
    trace = BusTrace("mqtt://127.0.0.1:1", "c1", limit=2)  # never connected
    for message in every_message("node-1")[:3]:
        trace._on_message("devnet/c1/ctx/x/delta", wire.encode(message))
    assert trace.write(tmp_path / "t.jsonl") == 2
    assert trace.seen == 3
    kept = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert [e["kind"] for e in kept] == ["heads", "fetch-request"]
    assert kept[0]["topic"] == "ctx/x/delta"
