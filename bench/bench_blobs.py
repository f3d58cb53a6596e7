"""Benchmark blobs between two node processes on loopback, amqtt against mosquitto.

Run from the repository root: ``.venv/bin/python -m bench.bench_blobs [MIB]``. For each
broker (started on a free loopback port) it starts two nodes in one context, uploads a
``MIB`` MiB blob (default 32) to the first with ``context_id``, then times: the upload, the
second node's first download with ``context_id`` (the fetch over the bus, chunk by chunk,
hash-checked), and its second download (now local). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

from calimero_devnet.cluster.processes.broker import (
    BrokerHandle,
    open_embedded_broker,
    open_mosquitto,
)
from tests.integration.node_process import admin, deploy_kv_store, start_node

CLUSTER = "bench-blobs"


def timed(run: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    """Seconds one request took, and its response (which must be 200)."""
    started = time.perf_counter()
    response = run()
    assert response.status_code == 200, response.text[:200]
    return time.perf_counter() - started, response


def one_broker(broker: BrokerHandle, root: Path, data: bytes) -> dict[str, float]:
    """Upload on one node, fetch on the other; seconds per step."""
    args = ("--broker", broker.url, "--cluster", CLUSTER)
    a = start_node(root / "a", "--name", "a", "--index", "0", *args)
    b = start_node(root / "b", "--name", "b", "--index", "1", *args)
    try:
        with httpx.Client(base_url=a.url, timeout=120) as ca, \
             httpx.Client(base_url=b.url, timeout=120) as cb:  # fmt: skip
            ctx = deploy_kv_store(ca, root)
            wasm = root / "kv_store.wasm"
            admin(cb, "POST", "install-dev-application", {"path": str(wasm)})
            admin(cb, "POST", f"contexts/{ctx}/join")
            up, done = timed(lambda: ca.put(f"/admin-api/blobs?context_id={ctx}", content=data))
            blob = done.json()["data"]["blob_id"]
            path = f"/admin-api/blobs/{blob}"
            fetch, got = timed(lambda: cb.get(f"{path}?context_id={ctx}"))
            assert got.content == data
            local, again = timed(lambda: cb.get(path))
            assert again.content == data
            return {"upload": up, "fetch": fetch, "local": local}
    finally:
        a.stop()
        b.stop()


@contextlib.asynccontextmanager
async def brokers(root: Path) -> AsyncIterator[list[tuple[str, BrokerHandle]]]:
    """Both brokers, each on a free port."""
    for name in ("amqtt", "mosquitto"):
        (root / name).mkdir(parents=True, exist_ok=True)
    async with open_embedded_broker(workdir=root / "amqtt") as amqtt, \
               open_mosquitto(workdir=root / "mosquitto") as mosquitto:  # fmt: skip
        yield [("amqtt", amqtt), ("mosquitto", mosquitto)]


async def main(mib: int) -> None:
    """Run the benchmark with both brokers and print one line per step."""
    data = os.urandom(mib * 1024 * 1024)
    with tempfile.TemporaryDirectory() as tmp:
        async with brokers(Path(tmp)) as found:
            for name, broker in found:
                root = Path(tmp) / name / "nodes"
                root.mkdir(parents=True)
                seconds = await asyncio.to_thread(one_broker, broker, root, data)
                for step, spent in seconds.items():
                    print(f"{name:9} {step:7} {mib} MiB: {spent * 1e3:7.0f} ms "
                          f"({mib / spent:6.1f} MiB/s)")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 32))
