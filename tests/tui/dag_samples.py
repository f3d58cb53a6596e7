"""Provides the sample DAGs of the DAG drawing tests: small named ones and random ones."""

from __future__ import annotations

from hypothesis import strategies as st

from calimero_devnet.tui.dag import DagDelta

NODES = ("node-1", "node-2", "node-3")


def delta(name: str, *parents: str, author: str = "node-1", summary: str = "") -> DagDelta:
    """A delta whose id is ``name`` padded to base58-like length (the drawing shows 4)."""
    return DagDelta(_id(name), tuple(_id(p) for p in parents), author, summary or f"set {name}")


def _id(name: str) -> str:
    return name + "x" * (8 - len(name))


def ids(*names: str) -> tuple[str, ...]:
    return tuple(_id(n) for n in names)


@st.composite
def windows(draw: st.DrawFn) -> list[DagDelta]:
    """A window of a random DAG: its newest deltas, children first; older parents cut off.

    Deltas are made oldest first, each with up to three parents among the few made just
    before it (so branches run concurrently), then the oldest ``cut`` are dropped.
    """
    total = draw(st.integers(1, 28))
    made: list[DagDelta] = []
    for i in range(total):
        choices = st.integers(max(0, i - 7), i - 1) if i else st.nothing()
        parents = draw(st.lists(choices, max_size=3 if i else 0, unique=True))
        author = draw(st.sampled_from(NODES))
        made.append(DagDelta(f"D{i:03d}", tuple(f"D{p:03d}" for p in parents), author, f"s{i}"))
    cut = draw(st.integers(0, total - 1))
    return made[::-1][: total - cut]


@st.composite
def heads_of(draw: st.DrawFn, deltas: list[DagDelta]) -> dict[str, tuple[str, ...]]:
    """Each node's heads: a few ids of the window (and one it does not hold)."""
    pool = [d.id for d in deltas] + ["outside"]
    return {name: tuple(draw(st.lists(st.sampled_from(pool), max_size=2, unique=True)))
            for name in NODES}  # fmt: skip
