"""Provides helpers shared by the NodeCore tests: open a node on fakes, call a method."""

from __future__ import annotations

import json
from pathlib import Path

from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.testing.fake_clock import FakeClock
from calimero_devnet.testing.fake_runtime import FakeRuntime

SEED = b"devnet-seed"


def open_node(home: Path, index: int = 1, **options: object) -> NodeCore:
    """Open a NodeCore in ``home`` on the fake runtime and a fake wall clock by default."""
    options.setdefault("runtime", FakeRuntime())
    options.setdefault("wall_clock", FakeClock())
    return NodeCore.open(home, name=home.name, index=index, **options)  # type: ignore[arg-type]


def call(node: NodeCore, ctx: bytes, method: str, **args: str) -> object:
    """Execute ``method`` with ``args`` as JSON; return the decoded JSON output."""
    output = node.execute(ctx, method, json.dumps(args).encode()).output
    return None if output is None else json.loads(output)


def runtime_of(node: NodeCore) -> FakeRuntime:
    """The fake runtime a node was opened with."""
    runtime = node.runtime
    assert isinstance(runtime, FakeRuntime)
    return runtime


def join(src: NodeCore, dst: NodeCore, ctx: bytes) -> None:
    """Give ``dst`` a byte-exact snapshot of ``ctx`` from ``src``, as the sync layer will."""
    record = src.store.context(ctx)
    assert record is not None
    dst.install_application(src.store.app_blob(record.application_id) or b"", source="peer")
    batch = dst.store.batch()
    for key, value in src.store.state_items(ctx):
        batch.put_state(ctx, key, value)
    for delta_id, wire in src.store.deltas(ctx):
        batch.put_delta(ctx, delta_id, wire)
    members = [*record.members, dst.public_key]
    batch.put_context(record.model_copy(update={"members": members}))
    dst.store.write(batch)
