"""Measures the DAG drawing of the terminal UI: layout and render of a window of deltas.

Run from the repository root: ``.venv/bin/python -m bench.bench_dag_layout``. The history is
that of ``NODES`` nodes writing concurrently: each delta extends its author's head, and now
and then a node merges what it has heard of the others' heads, so many branches are open at
once. Prints p50/p99 of ``layout``, ``render`` (at 120 cells) and both, for 64 and 512
deltas (the newest of a longer history, so parents below the window run off the bottom).
"""

from __future__ import annotations

import random

from bench.timing import measure
from calimero_devnet.tui.dag import DagDelta, layout
from calimero_devnet.tui.dagrender import render

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
NODES = 8
MERGE_EVERY = 5  # one delta in this many is a merge
CALLS = 50
WIDTH = 120


def history(count: int, seed: int = 7) -> tuple[list[DagDelta], dict[str, tuple[str, ...]]]:
    """``count`` newest deltas (children first) of a longer history, and every node's heads."""
    rng = random.Random(seed)
    names = [f"node-{n}" for n in range(1, NODES + 1)]
    heads: dict[str, tuple[str, ...]] = {name: () for name in names}
    made: list[DagDelta] = []
    for n in range(count + 3 * NODES):
        author = rng.choice(names)
        parents = heads[author]
        if n % MERGE_EVERY == 0:
            others = rng.sample(names, rng.randint(1, 3))
            parents = tuple(dict.fromkeys(p for name in (author, *others) for p in heads[name]))
        delta_id = "".join(rng.choices(B58, k=44))  # as long as a base58 hash
        delta = DagDelta(delta_id, parents, author, f'items["k{n}"] = "{n}"')
        made.append(delta)
        heads[author] = (delta.id,)
    return made[::-1][:count], heads


def main() -> None:
    """Print one line per window size."""
    for count in (64, 512):
        deltas, heads = history(count)
        colours = {name: "#3b8eea" for name in heads}
        rows = layout(deltas)
        lanes = max(len(row.cells) for row in rows)
        lay = measure(CALLS, lambda _: layout(deltas))  # noqa: B023  (called at once)
        ren = measure(CALLS, lambda _: render(rows, heads, colours, width=WIDTH))  # noqa: B023
        both = measure(CALLS, lambda _: render(layout(deltas), heads, colours, width=WIDTH))  # noqa: B023
        print(f"{count:>4} deltas ({len(rows)} rows, {lanes} lanes): "
              f"layout {lay[0]:.2f}/{lay[1]:.2f} ms, render {ren[0]:.2f}/{ren[1]:.2f} ms, "
              f"both {both[0]:.2f}/{both[1]:.2f} ms (p50/p99)")  # fmt: skip


if __name__ == "__main__":
    main()
