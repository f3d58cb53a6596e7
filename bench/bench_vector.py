"""Measures host vector calls against the vector's length (each call reads every element).

Run from the repository root: ``.venv/bin/python -m bench.bench_vector``. Prints, per
length, one ``push`` and one ``get`` call (fresh call state each, in-memory store), and the
element decode of the stored records by pyborsh (the baseline) and by ``vector_value``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from calimero_devnet.node.collections import layout as lay
from calimero_devnet.node.collections.session import CollectionsSession
from calimero_devnet.testing.collections_node import SimNode

CALLS = 20
SIZES = (100, 1_000, 10_000)


def per_call_ms(run: Callable[[], object], calls: int = CALLS) -> float:
    """Mean milliseconds of ``run`` over ``calls`` runs."""
    started = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - started) / calls * 1000


def fill(session: CollectionsSession, vec: bytes, count: int) -> None:
    """Push ``count`` elements in one call."""
    for i in range(count):
        session.vector_push(vec, b"item-%d" % i)


def main() -> None:
    """Print one line per vector length."""
    node = SimNode(0)
    made: dict[str, bytes] = {}
    node.call(lambda s: made.setdefault("v", s.vector_new()))
    vec = made["v"]
    length = 0
    for size in SIZES:
        while length < size:
            batch = min(1_000, size - length)
            node.call(lambda s: fill(s, vec, batch))  # noqa: B023  (called at once)
            length += batch
        push = per_call_ms(lambda: node.call(lambda s: s.vector_push(vec, b"more")))
        length += CALLS
        get = per_call_ms(lambda: node.call(lambda s: s.vector_get(vec, 5)))
        records = [raw for _, raw in node.kv.scan(lay.entries_prefix(vec))]
        slow = per_call_ms(lambda: [lay.VectorRecord.from_borsh(r) for r in records], 3)  # noqa: B023
        fast = per_call_ms(lambda: [lay.vector_value(r) for r in records], 3)  # noqa: B023
        print(f"{length:>6} elements: push {push:.2f} ms, get {get:.2f} ms per call; "
              f"decoding them all: pyborsh {slow:.1f} ms, vector_value {fast:.1f} ms "
              f"({slow / fast:.0f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
