"""Provides a micro-benchmark of delta encoding: pyborsh against hand-written struct codecs.

Run from the repository root: ``PYTHONPATH=. .venv/bin/python bench/bench_delta.py``.
Prints operations per second and µs per operation for a typical delta (1 parent, 200-byte
artifact, 1 event), the cost of signing and verifying, and of calls through NodeCore on
the fake runtime (store and commit path included). A received or authored delta keeps its
wire bytes (``CausalDelta.wire``); "fresh fields" rows time a copy without them."""

from __future__ import annotations

import dataclasses
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from calimero_devnet.node.runtime.types import Event
from calimero_devnet.node.state.clock import Hlc
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import (
    CausalDelta,
    DeltaKind,
    _DeltaWire,
    compute_id,
    create_delta,
    decode,
    encode,
    verify,
)
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.testing.fake_runtime import FakeRuntime, fake_wasm

U32 = struct.Struct("<I")
HEAD = struct.Struct("<32s32sI")
TAIL = struct.Struct("<QQQB")  # hlc time, hlc node low, hlc node high, kind


def struct_encode(d: CausalDelta) -> bytes:
    """Hand-written Borsh encoder producing the same bytes as ``delta.encode``."""
    out = [d.id, HEAD.pack(d.context_id, d.author, len(d.parents)), *d.parents]
    node = d.hlc.node
    out += [TAIL.pack(d.hlc.time, node & 0xFFFFFFFFFFFFFFFF, node >> 64, d.kind)]
    out += [U32.pack(len(d.payload)), d.payload, U32.pack(len(d.events))]
    for e in d.events:
        kind = e.kind.encode()
        out += [U32.pack(len(kind)), kind, U32.pack(len(e.data)), e.data]
        if e.handler is None:
            out.append(b"\x00")
        else:
            handler = e.handler.encode()
            out += [b"\x01", U32.pack(len(handler)), handler]
    out += [struct.pack("<Q", d.max_time_now), d.signature]
    return b"".join(out)


def struct_decode(data: bytes) -> CausalDelta:
    """Hand-written strict decoder (the reverse of ``struct_encode``)."""
    view, at = memoryview(data), 0

    def take(n: int) -> bytes:
        nonlocal at
        if at + n > len(view):
            raise ValueError("unexpected end of data")
        at += n
        return bytes(view[at - n : at])

    def u32() -> int:
        return int(U32.unpack(take(4))[0])

    def text() -> str:
        return take(u32()).decode()

    delta_id, ctx, author = take(32), take(32), take(32)
    parents = tuple(take(32) for _ in range(u32()))
    time_, low, high, kind = TAIL.unpack(take(TAIL.size))
    payload = take(u32())
    events = []
    for _ in range(u32()):
        name, body = text(), take(u32())
        tag = take(1)
        if tag not in (b"\x00", b"\x01"):
            raise ValueError("bad option tag")
        events.append(Event(name, body, text() if tag == b"\x01" else None))
    (max_time_now,) = struct.unpack("<Q", take(8))
    signature = take(64)
    if at != len(view):
        raise ValueError("trailing bytes")
    hlc = Hlc(time_, low | high << 64)
    return CausalDelta(
        delta_id, ctx, author, parents, hlc, DeltaKind(kind), payload, tuple(events),
        max_time_now, signature,
    )  # fmt: skip


def rate(label: str, fn: Callable[[], object], seconds: float = 0.5) -> None:
    """Print how many times per second ``fn`` runs."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            fn()
        count += 100
    print(f"{label:<40} {count / elapsed:>10,.0f}/s {elapsed / count * 1e6:>8.1f} µs")


def main() -> None:
    """Run every measurement."""
    identity = NodeIdentity.generate()
    delta = create_delta(
        identity, context_id=b"\x01" * 32, parents=[b"\x02" * 32], hlc=Hlc(1 << 60, 1 << 100),
        payload=bytes(200), events=[Event("ItemSet", b'{"key":"a"}', None)], max_time_now=7,
    )  # fmt: skip
    wire = encode(delta)
    if struct_encode(delta) != wire or struct_decode(wire) != delta:
        raise SystemExit("the struct codec disagrees with pyborsh: fix it before comparing")
    print(f"delta: {len(wire)} bytes on the wire")
    fresh = dataclasses.replace(delta)  # the same fields without the kept bytes
    received = decode(wire)
    rate("encode, fresh fields (pyborsh)", lambda: encode(fresh))
    rate("encode, kept wire bytes", lambda: encode(received))
    rate("decode, pyborsh model (strict)", lambda: _DeltaWire.from_borsh(wire))
    rate("decode, delta.decode (hand reader)", lambda: decode(wire))
    rate("struct encode", lambda: struct_encode(delta))
    rate("struct decode (strict)", lambda: struct_decode(wire))
    rate("compute_id, fresh fields (body + sha256)", lambda: compute_id(fresh))
    rate("compute_id, kept wire bytes", lambda: compute_id(received))
    rate("create_delta (id + Ed25519 sign)", lambda: create_delta(
        identity, context_id=delta.context_id, parents=delta.parents, hlc=delta.hlc,
        payload=delta.payload, events=delta.events, max_time_now=7,
    ))  # fmt: skip
    members = [identity.public_key]
    rate("verify, received (id + member + signature)", lambda: verify(received, members))
    rate("verify, fresh fields", lambda: verify(fresh, members))
    with tempfile.TemporaryDirectory() as home:
        core = NodeCore.open(Path(home), index=1, runtime=FakeRuntime())
        ctx = core.create_context(core.install_application(fake_wasm(), source="b")).id
        rate(
            "NodeCore.execute set (fake app, commits)",
            lambda: core.execute(ctx, "set", b'{"key":"k","value":"v"}'),
            seconds=1.0,
        )
        rate("NodeCore.execute len (fake app, view)", lambda: core.execute(ctx, "len", b""))
        core.close()


if __name__ == "__main__":
    main()
