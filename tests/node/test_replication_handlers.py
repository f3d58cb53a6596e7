"""Replication of events (feed, ``emit_with_handler`` handlers) and of a JS app's collections."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

from calimero_devnet.node.runtime.types import CallEnv, CallOutcome, Limits
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.testing.fake_runtime import FakeApp, FakeRuntime, fake_wasm
from tests.fixtures import load_wat
from tests.node import js_helpers as js
from tests.node.replication_helpers import (
    Replica,
    converge,
    create_kv_context,
    feed_of,
    install_app,
    replicas,
)

HANDLER = "on_removed"  # the fake app's ``remove`` emits ItemRemoved with this handler


class HandlingRuntime(FakeRuntime):
    """The fake kv app plus an ``on_removed`` handler that records who ran it."""

    def load(self, wasm: bytes) -> FakeApp:
        """Add the handler to the app's methods."""
        app = super().load(wasm)
        return dataclasses.replace(app, methods=(*app.methods, HANDLER))

    def call(
        self, app: FakeApp, method: str, input: bytes, env: CallEnv, *, limits: Limits | None = None
    ) -> CallOutcome:
        """Run ``on_removed`` as a ``set`` of ``handled-by-<executor>``."""
        if method != HANDLER:
            return super().call(app, method, input, env, limits=limits)
        self.calls.append((method, input))
        args = {"key": f"handled-by-{env.executor_id.hex()[:8]}", "value": input.decode()}
        return super().call(app, "set", json.dumps(args).encode(), env, limits=limits)


async def test_handlers_run_on_receivers_only_and_their_writes_replicate(tmp_path: Path) -> None:
    async with replicas(tmp_path, 3, runtime=HandlingRuntime) as (network, nodes):
        a, b, c = nodes
        wasm = fake_wasm()
        ctx = await create_kv_context(a, wasm)
        for joiner in (b, c):
            await install_app(joiner, wasm)
            await joiner.replicator.join(ctx)
        await a.execute(ctx, "set", key="k", value="v")
        await a.execute(ctx, "remove", key="k")
        entries = await converge(nodes, ctx)
        handled = {key for key in entries if key.startswith("handled-by-")}
        assert handled == {f"handled-by-{n.core.public_key.hex()[:8]}" for n in (b, c)}
        assert all(entries[key] == "null" for key in handled)  # the event's data was the input
        runtime = a.core.runtime
        assert isinstance(runtime, HandlingRuntime)
        assert [call for call in runtime.calls if call[0] == HANDLER] == []  # never the author
        for name in ("n1", "n2"):
            (ran,) = feed_of(network, name, "handler")
            assert ran["handler"] == HANDLER
            assert ran["ok"] is True
        assert feed_of(network, "n0", "handler") == []
        remote = [e for e in feed_of(network, "n1", "event") if e["origin"] == "remote"]
        assert {e["kind"] for e in remote} >= {"ItemSet", "ItemRemoved"}
        assert any(e["data"] == '{"key": "k"}' for e in remote)


async def test_a_js_app_with_host_collections_replicates_and_joins(tmp_path: Path) -> None:
    async with replicas(tmp_path, 3) as (_, nodes):
        a, b, c = nodes
        ctx = await create_kv_context(a, load_wat("js_like"))
        await install_app(b, load_wat("js_like"))
        await b.replicator.join(ctx)
        for n, node in enumerate((a, b)):
            for i in range(5):
                await node.run(put(ctx, f"{n}-{i}"))
        await node_converged(a, b, ctx)
        await install_app(c, load_wat("js_like"))
        await c.replicator.join(ctx)  # a snapshot with host collections, byte for byte
        await c.run(lambda core: js.put(core, ctx, "from-c", "1"))
        await node_converged(a, c, ctx)
        await node_converged(a, b, ctx)
        assert len(await a.run(lambda core: js.entries(core, ctx))) == 11


def put(ctx: bytes, key: str) -> Callable[[NodeCore], object]:
    """A ``set key=v`` call of the JS-like app, to run on a replica."""
    return lambda core: js.put(core, ctx, key, "v")


async def node_converged(x: Replica, y: Replica, ctx: bytes, wait_s: float = 10) -> None:
    """Wait until ``js.converged`` holds for two JS replicas (root = digest, heads, entries)."""
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        try:
            left = await x.run(lambda core: (core.context(ctx).heads, js.entries(core, ctx)))
            right = await y.run(lambda core: (core.context(ctx).heads, js.entries(core, ctx)))
            if left == right:
                await x.run(lambda core: js.converged(core, y.core, ctx))
                return
        except AssertionError:
            pass
        assert asyncio.get_running_loop().time() < deadline, "JS replicas did not converge"
        await asyncio.sleep(0.05)
