"""Provides the write → visible phase of the scaling run, and the writes it and the others send.

Visibility comes from every node's ``/ws``: a write counts as visible once each node pushed
its ``ItemSet`` event. Every wait is bounded by ``VISIBLE_TIMEOUT_S``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

VISIBLE_TIMEOUT_S = 30.0


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct`` percentile of ``samples`` (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def set_body(ctx: str, key: str) -> dict[str, Any]:
    """A JSON-RPC ``set`` of ``key``."""
    params = {"contextId": ctx, "method": "set", "argsJson": {"key": key, "value": "v"}}
    return {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}


async def write_many(session: aiohttp.ClientSession, ctx: str, prefix: str, count: int) -> None:
    """``count`` sets on one node, each acknowledged before the next."""
    for n in range(count):
        async with session.post("/jsonrpc", json=set_body(ctx, f"{prefix}-{n}")) as resp:
            answer = await resp.json()
        if "result" not in answer:
            raise RuntimeError(f"set failed: {answer}")


def event_keys(message: str) -> list[str]:
    """The keys of the ``ItemSet`` events one ``/ws`` message carries."""
    result = json.loads(message).get("result", {})
    keys = []
    for event in result.get("data", {}).get("events", []):
        data = json.loads(bytes(event.get("data") or b"{}"))
        if isinstance(data, dict) and "key" in data:
            keys.append(str(data["key"]))
    return keys


@dataclass(slots=True)
class Sightings:
    """What the ``/ws`` watchers saw: when each key was pushed, and who is subscribed."""

    seen: dict[str, list[float]] = field(default_factory=dict)
    subscribed: set[str] = field(default_factory=set)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)


async def watch(url: str, ctx: str, sightings: Sightings) -> None:
    """Record when this node's ``/ws`` pushes each key (until cancelled)."""
    async with aiohttp.ClientSession() as session, session.ws_connect(f"{url}/ws") as ws:
        await ws.send_json({"id": 1, "method": "subscribe", "params": {"contextIds": [ctx]}})
        async for message in ws:
            if json.loads(message.data).get("id") == 1:
                sightings.subscribed.add(url)  # the answer: every later commit is pushed
            for key in event_keys(message.data):
                sightings.seen.setdefault(key, []).append(time.perf_counter())
            async with sightings.changed:
                sightings.changed.notify_all()


def on_every(seen: dict[str, list[float]], key: str, nodes: int) -> Callable[[], bool]:
    """True once ``nodes`` nodes pushed ``key``."""
    return lambda: len(seen.get(key, ())) >= nodes


async def wait_for(sightings: Sightings, done: Callable[[], bool], what: str) -> None:
    """Wait until ``done()``, at most ``VISIBLE_TIMEOUT_S``.

    Raises:
        TimeoutError: saying ``what`` did not happen.
    """
    try:
        async with asyncio.timeout(VISIBLE_TIMEOUT_S), sightings.changed:
            await sightings.changed.wait_for(done)
    except TimeoutError:
        raise TimeoutError(f"{what} within {VISIBLE_TIMEOUT_S:.0f} s") from None


async def visible(urls: list[str], ctx: str, rounds: int) -> tuple[float, float]:
    """p50 and p99 (ms) of write → visible on every node."""
    sightings = Sightings()
    seen = sightings.seen
    watchers = [asyncio.create_task(watch(url, ctx, sightings)) for url in urls]
    sessions = [aiohttp.ClientSession(base_url=url) for url in urls]
    samples = []
    try:
        every = len(urls)

        def subscribed() -> bool:
            return len(sightings.subscribed) == every

        await wait_for(sightings, subscribed, "not every node's /ws answered the subscribe")
        for round_ in range(rounds):
            prefix = f"visible-{round_}"
            key = f"{prefix}-0"  # the one key ``write_many`` sets
            started = time.perf_counter()
            await write_many(sessions[round_ % every], ctx, prefix, 1)
            what = f"{key} was not pushed by all {every} nodes' /ws (by {len(seen.get(key, ()))})"
            await wait_for(sightings, on_every(seen, key, every), what)
            samples.append((max(seen[key]) - started) * 1000)
    finally:
        for session in sessions:
            await session.close()
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
    return percentile(samples, 50), percentile(samples, 99)
