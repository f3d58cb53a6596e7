"""Provides helpers for the JS-app NodeCore tests: calls of ``js_like.wat``, forgeries, checks."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections import layout as lay
from calimero_devnet.node.collections.digest import recompute_digest
from calimero_devnet.node.collections.model import CollectionKind
from calimero_devnet.node.collections.payloads import decode_pairs
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import CausalDelta, DeltaKind, create_delta


def put(node: NodeCore, ctx: bytes, key: str, value: str) -> CausalDelta:
    """Run ``set key=value``; return its delta (it must make one)."""
    delta = node.execute(ctx, "set", f"{key}={value}".encode()).delta
    assert delta is not None
    return delta


def entries(node: NodeCore, ctx: bytes) -> dict[bytes, bytes]:
    """Run ``entries`` and decode the map payload."""
    return dict(decode_pairs(node.execute(ctx, "entries", b"").output or b""))


def stored(node: NodeCore, ctx: bytes) -> tuple[object, ...]:
    """Everything the store holds about a context: record, state, deltas."""
    store = node.store
    return store.context(ctx), list(store.state_items(ctx)), list(store.deltas(ctx))


def converged(a: NodeCore, b: NodeCore, ctx: bytes) -> None:
    """Assert both nodes hold consistent, equal state: root = digest, heads, entries."""
    for node in (a, b):
        assert node.context(ctx).root_hash == recompute_digest(node.store.state_reader(ctx))
        assert node.check_consistency(ctx) == []
    assert a.context(ctx).root_hash == b.context(ctx).root_hash
    assert a.context(ctx).heads == b.context(ctx).heads
    assert entries(a, ctx) == entries(b, ctx)


def add_member_without_state(src: NodeCore, dst: NodeCore, ctx: bytes) -> None:
    """Give ``dst`` the app and the record of ``ctx`` (members, no heads, no state)."""
    record = src.store.context(ctx)
    assert record is not None
    dst.install_application(src.store.app_blob(record.application_id) or b"", source="peer")
    update: dict[str, object] = {
        "heads": [], "root_hash": None, "initialized": False, "delta_count": 0,
        "members": [src.public_key, dst.public_key],
    }  # fmt: skip
    batch = dst.store.batch()
    batch.put_context(record.model_copy(update=update))
    dst.store.write(batch)


def map_id(node: NodeCore, ctx: bytes) -> bytes:
    """The id of the context's one collection (the app's map), from a prefix scan."""
    [(header, _)] = list(node.store.state_items(ctx, lay.HEADER))
    return header[len(lay.HEADER) :]


OTHER = b"\x07" * 32
Forgery = Callable[[bytes, int], bytes]
FORGERIES: dict[str, tuple[Forgery, str]] = {
    "garbage": (lambda cid, t: b"\x01\x05\x00\x00\x00\xff", "does not decode"),
    "another member's user slot": (
        lambda cid, t: act.encode_actions([
            act.Create(id=OTHER, kind=int(CollectionKind.USER_STORAGE)),
            act.UserSet(id=OTHER, user=b"\x09" * 32, hlc=(t, 1), value=b"x"),
        ]),
        "writes the user storage of",
    ),
    "the wrong collection kind": (
        lambda cid, t: act.encode_actions([act.SetAdd(id=cid, elem=b"e", tag=(t, 1), retire=[])]),
        "is a map",
    ),
    "a stamp after its delta": (
        lambda cid, t: act.encode_actions([
            act.MapSet(id=cid, key=b"k", hlc=(t + 10**12, 1), value=b"x"),
        ]),
        "after the delta's own HLC",
    ),
}  # fmt: skip
"""Payloads a member could sign but peers must refuse, by name: (builder, reason)."""


def forged_delta(node: NodeCore, ctx: bytes, name: str) -> CausalDelta:
    """A delta that ``node`` signs with forgery ``name`` as its ``host-actions`` payload."""
    hlc = node.clock.hlc()
    payload = FORGERIES[name][0](map_id(node, ctx), hlc.time - 1)
    return create_delta(
        node.identity, context_id=ctx, parents=node.context(ctx).heads, hlc=hlc,
        payload=payload, kind=DeltaKind.HOST_ACTIONS,
    )  # fmt: skip


CRASH_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from calimero_devnet.node.state.core import NodeCore
    core = NodeCore.open(Path(sys.argv[1]), index=1)
    app = core.install_application(Path(sys.argv[2]).read_bytes(), source="t")
    ctx = core.create_context(app, seed=b"s").id
    print(ctx.hex(), flush=True)
    for i in range(1_000_000):
        core.execute(ctx, "set", b'k%d="v"' % i)
        print(i, flush=True)
    """
)
"""A node process (default runtime) that writes to a JS context until it is killed."""
