"""Measures the host collections: session ops, Borsh encode/decode, apply, digest.

Run from the repository root: ``.venv/bin/python -m bench.bench_collections [N]``.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable

from calimero_devnet.node.collections import actions as act
from calimero_devnet.node.collections.base import merge_delta
from calimero_devnet.node.collections.digest import recompute_digest
from calimero_devnet.node.collections.kv import Overlay
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.node.collections.state import CollectionState
from calimero_devnet.testing.collections_node import SimNode
from calimero_devnet.testing.memory_kv import MemoryKV

BATCH = 100  # actions per delta when applying


def timed(fn: Callable[[], object]) -> float:
    """Return the best of three wall times of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def workload(s: CollectionsSession, count: int, rnd: random.Random) -> None:
    """A mixed call: map inserts, set adds, vector pushes, counter and LWW updates."""
    m, st, v, c, r = s.map_new(), s.set_new(), s.vector_new(), s.counter_new(), s.lww_new()
    ops: list[Callable[[int], object]] = [
        lambda i: s.map_insert(m, b"key-%d" % rnd.randrange(500), b"value-%d" % i),
        lambda i: s.map_insert(m, b"key-%d" % rnd.randrange(500), b"value-%d" % i),
        lambda i: s.set_insert(st, b"elem-%d" % rnd.randrange(500)),
        lambda i: s.vector_push(v, b"item-%d" % i),
        lambda i: s.counter_increment(c),
        lambda i: s.lww_set(r, b"reg-%d" % i),
    ]
    for i in range(count):
        rnd.choice(ops)(i)


def main() -> None:
    """Print one line per measurement."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    node = SimNode(0)
    start = time.perf_counter()
    _, delta = node.call(lambda s: workload(s, count, random.Random(7)))
    session_s = time.perf_counter() - start
    assert delta is not None
    actions = act.decode_actions(delta)
    n = len(actions)
    batches = [act.encode_actions(actions[i : i + BATCH]) for i in range(0, n, BATCH)]

    def apply_all() -> None:
        state = CollectionState(Overlay(MemoryKV()))
        for payload in batches:
            merge_delta(state, payload)

    encode_s = timed(lambda: act.encode_actions(actions))
    decode_s = timed(lambda: act.decode_actions(delta))
    apply_s = timed(apply_all)
    digest_s = timed(lambda: recompute_digest(node.kv))
    print(f"actions: {n} ({len(delta) / n:.0f} bytes each, {len(node.kv)} stored records)")
    print(f"session (mutate + local apply): {n / session_s:>9,.0f} actions/s")
    print(f"encode (Borsh, pyborsh):        {n / encode_s:>9,.0f} actions/s")
    print(f"decode (strict):                {n / decode_s:>9,.0f} actions/s")
    print(f"apply peer deltas ({BATCH}/delta):  {n / apply_s:>9,.0f} actions/s (decode included)")
    print(f"state digest:                   {digest_s * 1e3:>9.1f} ms for the whole state")


if __name__ == "__main__":
    main()
