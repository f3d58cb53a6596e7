"""The delta routes over the real HTTP stack, NodeCore, wasmtime and RocksDB (devnet additions)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.collections.imports import COLLECTION_IMPORTS
from calimero_devnet.node.runtime import Limits, Runtime
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import CausalDelta, decode
from calimero_devnet.node.state.store import NodeStore
from tests.fixtures import load_wat
from tests.node.core_helpers import join
from tests.node.js_helpers import map_id, put
from tests.node.rpc_harness import Harness, running_node
from tests.node.test_rpc import deploy

TEST_FUEL = 20_000_000


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return Runtime(tmp_path / "wasm-cache", limits=Limits(fuel=TEST_FUEL),
                   extra_imports=COLLECTION_IMPORTS)  # fmt: skip


@pytest.fixture
def core(tmp_path: Path, runtime: Runtime) -> NodeCore:
    # The tests write through the core while the node's worker is idle between requests;
    # the node closes it when it stops.
    return NodeCore.open(tmp_path / "home", name="deltas-test", index=1, runtime=runtime)


@pytest.fixture
async def node(core: NodeCore, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_node(core, tmp_path / "home") as harness:
        yield harness


@pytest.fixture
async def js(node: Harness, tmp_path: Path) -> bytes:
    return await deploy(node, load_wat("js_like"), tmp_path)


async def get(node: Harness, path: str) -> tuple[int, Any]:
    return await node.admin("GET", path)


async def test_a_host_actions_delta_decodes_with_its_set_action(
    node: Harness, core: NodeCore, js: bytes
) -> None:
    genesis = core.context(js).heads
    delta = put(core, js, "k", '"1"')
    status, body = await get(node, f"contexts/{to_b58(js)}/deltas/{to_b58(delta.id)}")
    assert status == 200, body
    short = to_b58(map_id(core, js))[:4]
    assert body["data"] == {
        "id": to_b58(delta.id),
        "contextId": to_b58(js),
        "author": to_b58(core.public_key),
        "parents": [to_b58(p) for p in genesis],
        "hlc": {"time": delta.hlc.time, "node": str(delta.hlc.node)},
        "kind": "host-actions",
        "payloadSize": len(delta.payload),
        "payloadHex": delta.payload.hex(),
        "actions": [f'map {short}… [k] = "1"'],
        "actionCount": 1,
        "events": [],
        "maxTimeNow": delta.max_time_now,
        "signatureValid": True,
    }
    assert delta.hlc.node > 2**53  # why it travels as a string


async def test_an_artifact_delta_shows_no_actions_and_its_events(
    node: Harness, tmp_path: Path
) -> None:
    kv = await deploy(node, load_wat("kv_store"), tmp_path)
    answer = await node.execute(kv, "set", {"key": "a", "value": "1"}, rid=1)
    assert "result" in answer, answer
    _, ctx = await get(node, f"contexts/{to_b58(kv)}")
    [head] = ctx["data"]["dagHeads"]
    status, body = await get(node, f"contexts/{to_b58(kv)}/deltas/{head}")
    assert status == 200, body
    data = body["data"]
    assert data["kind"] == "wasm-artifact"
    assert data["actions"] == []
    assert data["payloadSize"] == len(bytes.fromhex(data["payloadHex"])) > 0
    assert data["events"] == [
        {"kind": "Inserted", "data": '{"key":"a","value":"1"}', "handler": None}
    ]
    assert data["signatureValid"] is True


async def test_the_payload_hex_stops_at_4096_bytes(
    node: Harness, core: NodeCore, js: bytes
) -> None:
    delta = put(core, js, "big", '"' + "v" * 6000 + '"')
    _, body = await get(node, f"contexts/{to_b58(js)}/deltas/{to_b58(delta.id)}")
    data = body["data"]
    assert data["payloadSize"] == len(delta.payload) > 6000
    assert data["payloadHex"] == delta.payload[:4096].hex()
    [line] = data["actions"]
    assert line.endswith("…")
    assert len(line) < 100


def corrupt(store: NodeStore, ctx: bytes, delta_id: bytes, where: str) -> None:
    """Flip one byte of a stored delta (signature, payload), or file another delta there."""
    wire = bytearray(store.delta(ctx, delta_id) or b"")
    if where == "misfiled":
        [(other, _)] = [(i, w) for i, w in store.deltas(ctx) if i != delta_id]
        wire = bytearray(store.delta(ctx, other) or b"")  # valid, but not delta_id's bytes
    else:
        offset = len(wire) - 1 if where == "signature" else wire.index(b'"1"') + 1
        wire[offset] ^= 0x01
    batch = store.batch()
    batch.put_delta(ctx, delta_id, bytes(wire))
    store.write(batch)


@pytest.mark.parametrize("where", ["signature", "payload", "misfiled"])
async def test_a_corrupted_stored_delta_is_shown_with_an_invalid_signature(
    node: Harness, core: NodeCore, js: bytes, where: str
) -> None:
    delta = put(core, js, "k", '"1"')
    path = f"contexts/{to_b58(js)}/deltas/{to_b58(delta.id)}"
    corrupt(core.store, js, delta.id, where)
    status, body = await get(node, path)
    assert status == 200, body
    assert body["data"]["signatureValid"] is False
    if where != "misfiled":
        assert body["data"]["id"] == to_b58(delta.id)  # the bytes still decode


async def test_missing_deltas_contexts_and_bad_ids(
    node: Harness, core: NodeCore, js: bytes
) -> None:
    ctx, unknown = to_b58(js), to_b58(b"\x09" * 32)
    status, body = await get(node, f"contexts/{ctx}/deltas/{unknown}")
    assert status == 404
    assert body["type"] == "DeltaNotFound"
    assert unknown in body["error"]
    assert "it may have arrived inside a snapshot" in body["error"]
    assert "or not have reached this node yet" in body["error"]
    batch = core.store.batch()
    batch.put_applied_marker(js, b"\x09" * 32)
    core.store.write(batch)
    status, body = await get(node, f"contexts/{ctx}/deltas/{unknown}")
    assert status == 404
    assert "is applied on node deltas-test, but its body is not stored" in body["error"]
    status, body = await get(node, f"contexts/{unknown}/deltas/{unknown}")
    assert (status, body["type"]) == (404, "ContextNotFound")
    status, body = await get(node, f"contexts/{ctx}/deltas/not-base58!")
    assert (status, body["type"]) == (400, "ParseError")
    assert "delta id" in body["error"]
    status, body = await get(node, "contexts/nope/deltas?limit=3")
    assert (status, body["type"]) == (400, "ParseError")


def newest_first(deltas: list[CausalDelta]) -> list[str]:
    ordered = sorted(deltas, key=lambda d: (-d.hlc.time, -d.hlc.node, d.id))
    return [to_b58(d.id) for d in ordered]


async def test_the_recent_slice_puts_a_merge_above_its_concurrent_parents(
    node: Harness, core: NodeCore, js: bytes, tmp_path: Path, runtime: Runtime
) -> None:
    with NodeCore.open(tmp_path / "peer", name="peer", index=2, runtime=runtime) as peer:
        join(core, peer, js)
        [genesis] = core.context(js).heads
        ours = put(core, js, "x", '"1"')
        theirs = put(peer, js, "y", '"2"')
        core.apply_delta(theirs)
        assert set(core.context(js).heads) == {ours.id, theirs.id}
        merge = put(core, js, "z", '"3"')
    status, body = await get(node, f"contexts/{to_b58(js)}/deltas")
    assert status == 200, body
    data = body["data"]
    assert data["heads"] == [to_b58(merge.id)]
    assert data["truncated"] is False
    listed = [entry["id"] for entry in data["deltas"]]
    assert listed[0] == to_b58(merge.id)
    assert listed[1:3] == newest_first([ours, theirs])
    assert listed[3] == to_b58(genesis)
    position = {delta_id: i for i, delta_id in enumerate(listed)}
    for entry in data["deltas"]:  # children before parents: a graph drawing reads it as is
        assert all(position[entry["id"]] < position[p] for p in entry["parents"])
    top = data["deltas"][0]
    assert set(top["parents"]) == {to_b58(ours.id), to_b58(theirs.id)}
    assert top["author"] == to_b58(core.public_key)
    assert top["hlc"] == {"time": merge.hlc.time, "node": str(merge.hlc.node)}
    assert top["kind"] == "host-actions"
    assert top["summary"].endswith('[z] = "3"')
    by_id = {entry["id"]: entry for entry in data["deltas"]}
    assert by_id[to_b58(theirs.id)]["author"] == to_b58(peer.public_key)


async def test_the_slice_honours_its_limit_and_walks_from_the_heads_only(
    node: Harness, core: NodeCore, js: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = [put(core, js, f"k{i}", f'"{i}"') for i in range(70)]
    ctx = to_b58(js)
    _, body = await get(node, f"contexts/{ctx}/deltas")
    assert len(body["data"]["deltas"]) == 64
    assert body["data"]["truncated"] is True
    assert body["data"]["deltas"][0]["id"] == to_b58(written[-1].id)
    _, body = await get(node, f"contexts/{ctx}/deltas?limit=512")
    assert len(body["data"]["deltas"]) == 71  # with the genesis delta
    assert body["data"]["truncated"] is False
    reads: list[bytes] = []
    real_read = NodeStore.delta

    def counted(store: NodeStore, context: bytes, delta_id: bytes) -> bytes | None:
        reads.append(delta_id)
        return real_read(store, context, delta_id)

    def no_scan(*_: object) -> None:
        raise AssertionError("the slice scanned every stored delta")

    monkeypatch.setattr(NodeStore, "delta", counted)
    monkeypatch.setattr(NodeStore, "deltas", no_scan)
    _, body = await get(node, f"contexts/{ctx}/deltas?limit=5")
    assert [e["id"] for e in body["data"]["deltas"]] == [to_b58(d.id) for d in written[:-6:-1]]
    assert body["data"]["truncated"] is True
    assert len(reads) == 6  # five shown, and the next one's body to know it is there


@pytest.mark.parametrize("limit", ["0", "513", "abc", "-1", "1.5", "", "+5", " 5", "99999999"])
async def test_a_bad_limit_is_refused(node: Harness, js: bytes, limit: str) -> None:
    status, body = await get(node, f"contexts/{to_b58(js)}/deltas?limit={limit}")
    assert status == 400, body
    assert body["type"] == "ParseError"
    assert "limit must be one integer from 1 to 512" in body["error"]


async def test_limits_at_the_edges_and_repeated_limits(node: Harness, js: bytes) -> None:
    ctx = to_b58(js)
    for limit in ("1", "512"):
        status, _ = await get(node, f"contexts/{ctx}/deltas?limit={limit}")
        assert status == 200
    status, body = await get(node, f"contexts/{ctx}/deltas?limit=1&limit=2")
    assert (status, body["type"]) == (400, "ParseError")
    unknown = to_b58(bytes([1]) * 32)
    status, body = await get(node, f"contexts/{unknown}/deltas")
    assert (status, body["type"]) == (404, "ContextNotFound")


async def test_a_stored_body_is_what_the_listing_and_detail_decode(
    node: Harness, core: NodeCore, js: bytes
) -> None:
    delta = put(core, js, "k", '"1"')
    stored = decode(core.store.delta(js, delta.id) or b"")
    _, body = await get(node, f"contexts/{to_b58(js)}/deltas?limit=1")
    [entry] = body["data"]["deltas"]
    assert from_b58(entry["id"]) == stored.id
    assert entry["summary"] == f'map {to_b58(map_id(core, js))[:4]}… [k] = "1"'
