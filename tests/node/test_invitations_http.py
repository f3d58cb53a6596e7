"""Identities, invitations and joining by invitation through real nodes' HTTP API.

Real cores and RocksDB stores, on the in-memory bus (the transport contract MQTT honours).
"""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest

from calimero_devnet.cluster.convergence import wait_value
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.state.clock import Hlc
from calimero_devnet.node.state.delta import compute_id, create_delta
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.sync.messages import DeltaBroadcast
from calimero_devnet.testing.memory_bus import MemoryNetwork
from tests.fixtures import load_wat
from tests.node.replication_helpers import eventually, feed_of
from tests.node.test_replication_rpc import admin, http_nodes, install


@pytest.fixture
def wasm(tmp_path: Path) -> Path:
    path = tmp_path / "kv_store.wasm"
    path.write_bytes(load_wat("kv_store"))
    return path


async def rpc(client: httpx.AsyncClient, ctx: str, method: str, args: Any, **extra: str) -> Any:
    """Send one ``execute``; return the whole JSON-RPC answer."""
    params = {"contextId": ctx, "method": method, "argsJson": args, **extra}
    body = {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}
    return (await client.post("/jsonrpc", json=body)).json()


async def invite(a: httpx.AsyncClient, b: httpx.AsyncClient, wasm: Path) -> tuple[str, str, str]:
    """A context on ``a``, an identity created on ``b`` and invited: (context, payload, key)."""
    app = await install(a, wasm)
    created = await admin(a, "POST", "contexts", {"applicationId": app})
    ctx, inviter = created["contextId"], created["memberPublicKey"]
    invitee = (await admin(b, "POST", "identity/context"))["publicKey"]
    body = {"contextId": ctx, "inviterId": inviter, "inviteeId": invitee}
    return ctx, await admin(a, "POST", "contexts/invite", body), invitee


async def test_an_invited_identity_joins_without_the_app_and_writes_as_itself(
    tmp_path: Path, wasm: Path
) -> None:
    async with http_nodes(tmp_path, 3) as (_, (a, b, c)):
        app = await install(a, wasm)
        created = await admin(a, "POST", "contexts", {"applicationId": app})
        ctx, inviter = created["contextId"], created["memberPublicKey"]
        await install(c, wasm)
        await admin(c, "POST", f"contexts/{ctx}/join")  # the old way, before the invitation
        invitee = (await admin(b, "POST", "identity/context"))["publicKey"]
        body = {"contextId": ctx, "inviterId": inviter, "inviteeId": invitee}
        payload = await admin(a, "POST", "contexts/invite", body)
        assert invitee in (await admin(a, "GET", f"contexts/{ctx}"))["members"]
        joined = await admin(b, "POST", "contexts/join", {"invitationPayload": payload})
        assert joined == {"contextId": ctx, "memberPublicKey": invitee}
        apps = (await admin(b, "GET", "applications"))["apps"]
        assert [app["source"] for app in apps] == ["peer:n0"]
        answer = await rpc(b, ctx, "set", {"key": "k", "value": "v"}, executorPublicKey=invitee)
        assert "result" in answer, answer
        head = (await admin(b, "GET", f"contexts/{ctx}"))["dagHeads"][0]
        delta = await admin(b, "GET", f"contexts/{ctx}/deltas/{head}")
        assert (delta["author"], delta["signatureValid"]) == (invitee, True)
        # n2 learnt of the invitee from n0's member list, so it accepts the invitee's delta
        await wait_value([a, b, c], ctx, "get", {"key": "k"}, expected="v", timeout=10)
        assert invitee in (await admin(c, "GET", f"contexts/{ctx}/identities"))["identities"]
        assert invitee in (await admin(b, "GET", f"contexts/{ctx}/identities-owned"))["identities"]
        owned_by_a = await admin(a, "GET", f"contexts/{ctx}/identities-owned")
        assert owned_by_a == {"identities": [inviter]}


async def test_calls_as_a_key_the_node_lacks_or_a_non_member_are_refused(
    tmp_path: Path, wasm: Path
) -> None:
    async with http_nodes(tmp_path, 2) as (_, (a, b)):
        ctx, _, invitee = await invite(a, b, wasm)
        before = (await admin(a, "GET", f"contexts/{ctx}"))["dagHeads"]
        stranger = to_b58(NodeIdentity.generate().public_key)
        answer = await rpc(a, ctx, "set", {"key": "k", "value": "v"}, executorPublicKey=stranger)
        assert answer["error"] == {
            "type": "CallError",
            "data": {
                "type": "Unauthorized",
                "data": f"node n0 holds no key for executor {stranger}: create the identity "
                "on this node (POST /admin-api/identity/context), or name one it holds",
            },
            "kind": "InvalidExecutor",
        }
        answer = await rpc(a, ctx, "set", {"key": "k", "value": "v"}, executorPublicKey=invitee)
        assert answer["error"]["kind"] == "InvalidExecutor"  # a member, but its key is on n1
        held = (await admin(a, "POST", "dev/identity/context"))["publicKey"]  # upstream's alias
        answer = await rpc(a, ctx, "set", {"key": "k", "value": "v"}, executorPublicKey=held)
        assert answer["error"]["data"]["data"].startswith(f"executor {held} is not a member")
        assert (await admin(a, "GET", f"contexts/{ctx}"))["dagHeads"] == before


async def test_a_bad_invitation_or_one_for_another_nodes_key_is_refused(
    tmp_path: Path, wasm: Path
) -> None:
    async with http_nodes(tmp_path, 3) as (_, (a, b, c)):
        _, payload, _ = await invite(a, b, wasm)
        tampered = payload[:-4] + ("2222" if not payload.endswith("2222") else "3333")
        refused = await b.post("/admin-api/contexts/join", json={"invitationPayload": tampered})
        assert refused.status_code == 400
        assert "invitationPayload" in refused.json()["error"]
        refused = await c.post("/admin-api/contexts/join", json={"invitationPayload": payload})
        assert refused.status_code == 403
        assert refused.json()["error"].startswith("node n2 holds no key for invitee")
        assert (await admin(c, "GET", "contexts"))["contexts"] == []


async def broadcast_forged(network: MemoryNetwork, ctx: str, heads: list[str], key: str) -> str:
    """Send a delta signed by a stranger but naming ``key`` as author; also one authored by
    the stranger itself. Return the stranger's delta id."""
    stranger = NodeIdentity.generate()
    mallory = network.attach("mallory")
    await asyncio.sleep(0.05)  # it connects on the next loop turn
    await mallory.watch_context(from_b58(ctx))
    parents = [from_b58(h) for h in heads]
    delta = create_delta(stranger, context_id=from_b58(ctx), parents=parents,
                         hlc=Hlc(1, 7), payload=b"{}", events=[])  # fmt: skip
    await mallory.broadcast(DeltaBroadcast("mallory", from_b58(ctx), delta))
    claimed = create_delta(stranger, context_id=from_b58(ctx), parents=parents,
                           hlc=Hlc(2, 7), payload=b"{}", events=[])  # fmt: skip
    forged = dataclasses.replace(claimed, author=from_b58(key))
    forged = dataclasses.replace(forged, id=compute_id(forged))  # a consistent id, no signature
    await mallory.broadcast(DeltaBroadcast("mallory", from_b58(ctx), forged))
    return to_b58(delta.id)


async def test_deltas_of_a_non_member_or_with_a_forged_author_are_refused(
    tmp_path: Path, wasm: Path
) -> None:
    async with http_nodes(tmp_path, 2) as (network, (a, b)):
        ctx, payload, invitee = await invite(a, b, wasm)
        await admin(b, "POST", "contexts/join", {"invitationPayload": payload})
        heads = (await admin(a, "GET", f"contexts/{ctx}"))["dagHeads"]
        stranger_delta = await broadcast_forged(network, ctx, heads, invitee)
        await eventually(lambda: len(feed_of(network, "n0", "rejected")) == 2)
        reasons = [event["reason"] for event in feed_of(network, "n0", "rejected")]
        assert reasons[0].endswith("is not a context member")
        assert "signature" in reasons[1], reasons
        assert (await admin(a, "GET", f"contexts/{ctx}"))["dagHeads"] == heads
        assert stranger_delta not in (await admin(a, "GET", f"contexts/{ctx}/deltas"))["heads"]


async def test_an_open_invitation_lets_a_key_of_the_joiner_in(tmp_path: Path, wasm: Path) -> None:
    async with http_nodes(tmp_path, 3) as (_, (a, b, c)):
        app = await install(a, wasm)
        created = await admin(a, "POST", "contexts", {"applicationId": app})
        ctx, inviter = created["contextId"], created["memberPublicKey"]
        await install(c, wasm)
        await admin(c, "POST", f"contexts/{ctx}/join")
        body = {"contextId": ctx, "inviterId": inviter, "validForBlocks": 60}
        opened = await admin(a, "POST", "contexts/invite_by_open_invitation", body)
        assert opened["invitation"]["context_id"] == ctx
        newcomer = (await admin(b, "POST", "identity/context"))["publicKey"]
        forged = {**opened, "invitation": {**opened["invitation"], "expiration_timestamp": 1}}
        refused = await b.post(
            "/admin-api/contexts/join_by_open_invitation",
            json={"invitation": forged, "newMemberPublicKey": newcomer},
        )
        assert refused.status_code == 400
        assert "signature does not hold" in refused.json()["error"]
        body = {"invitation": opened, "newMemberPublicKey": newcomer}
        joined = await admin(b, "POST", "contexts/join_by_open_invitation", body)
        assert joined == {"contextId": ctx, "memberPublicKey": newcomer}
        answer = await rpc(b, ctx, "set", {"key": "k", "value": "open"}, executorPublicKey=newcomer)
        assert "result" in answer, answer
        await wait_value([a, b, c], ctx, "get", {"key": "k"}, expected="open", timeout=15)
