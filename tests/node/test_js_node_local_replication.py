"""Two replicating nodes (real NodeCores on the memory bus) running JS apps built by the
real toolchain: a private entry stays on the node that wrote it (neither the joiner's
snapshot nor a delta carries it) while public state replicates, and ``env.contextMembers``
lists both nodes on each once they share a context."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet.ids import to_b58
from tests.node.replication_helpers import Replica, install_app, replicas
from tests.toolchain.sdk_helpers import APPS, build_copy, js_runtime

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def call(node: Replica, ctx: bytes, method: str, args: Any = None) -> Any:
    """Run ``method`` on ``node``; return its decoded output."""
    raw = json.dumps({} if args is None else args).encode()
    result = await node.run(lambda core: core.execute(ctx, method, raw))
    return None if result.output is None else json.loads(result.output)


async def until(check: Callable[[], Awaitable[bool]], wait_s: float = 10.0) -> None:
    """Poll ``check`` until it holds; fail after ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def shared_context(a: Replica, b: Replica, wasm: bytes, seed: bytes) -> bytes:
    """Create a context of ``wasm`` on ``a`` and have ``b`` join it."""
    app = await install_app(a, wasm)
    await install_app(b, wasm)
    ctx = (await a.run(lambda core: core.create_context(app, seed=seed))).id
    return ctx


async def test_private_entries_stay_home_and_members_are_both_nodes(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    notes = build_copy(APPS / "private_notes", apps).wasm_path.read_bytes()
    members = build_copy(APPS / "members", apps).wasm_path.read_bytes()
    cache = tmp_path / "wasm-cache"
    async with replicas(tmp_path, 2, runtime=lambda: js_runtime(cache)) as (_, (a, b)):
        ctx = await shared_context(a, b, notes, b"notes")
        await call(a, ctx, "setPrivateNote", {"note": "a's own"})
        await call(a, ctx, "setPublicNote", {"title": "t", "content": "shared"})
        await b.replicator.join(ctx)  # by snapshot
        await call(b, ctx, "setPublicNote", {"title": "u", "content": "from b"})
        await until(lambda: _equals(call(a, ctx, "getPublicNote", {"title": "u"}), "from b"))
        assert await call(b, ctx, "getPublicNote", {"title": "t"}) == "shared"
        assert await call(b, ctx, "getPrivateNote") is None
        assert await call(a, ctx, "getPrivateNote") == "a's own"

        group = await shared_context(a, b, members, b"members")
        await b.replicator.join(group)
        both = sorted(to_b58(node.core.public_key) for node in (a, b))

        async def everyone_sees_both() -> bool:
            seen = [sorted(await call(node, group, "getAllMembers")) for node in (a, b)]
            return seen == [both, both]

        await until(everyone_sees_both)


async def _equals(value: Awaitable[Any], expected: Any) -> bool:
    return bool(await value == expected)
