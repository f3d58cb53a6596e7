"""Provides a tiny delta, clock stamp and id helpers for the DAG and sync tests."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

SECOND = 1_000_000_000


@dataclass(frozen=True, order=True, slots=True)
class FakeHlc:
    """A stamp with the shape the protocol reads: ``time`` (ns), then a node tie-break."""

    time: int
    node: int = 0


@dataclass(frozen=True, slots=True)
class FakeDelta:
    """A delta with just what the DAG and the protocol read, plus an operation for states."""

    id: bytes
    parents: tuple[bytes, ...]
    hlc: FakeHlc = field(default_factory=lambda: FakeHlc(0))
    author: str = "a"
    op: tuple[str, ...] = ()

    def content_id(self) -> bytes:
        """The id this delta's content hashes to (a forged delta does not match)."""
        return content_id(self.parents, self.hlc, self.author, self.op)


def content_id(parents: Sequence[bytes], hlc: FakeHlc, author: str, op: tuple[str, ...]) -> bytes:
    """Hash every field but the id, like the real delta's content address."""
    text = repr((tuple(parents), hlc.time, hlc.node, author, op))
    return hashlib.sha256(text.encode()).digest()


def make(
    label: str,
    parents: Sequence[FakeDelta] = (),
    *,
    time: int = 0,
    node: int = 0,
    author: str = "a",
    op: tuple[str, ...] = (),
) -> FakeDelta:
    """A correctly addressed delta; ``label`` is folded into ``op`` so ids differ."""
    parent_ids = tuple(p.id for p in parents)
    hlc = FakeHlc(time, node)
    full_op = op or ("label", label)
    return FakeDelta(content_id(parent_ids, hlc, author, full_op), parent_ids, hlc, author, full_op)


def chain(length: int, *, time: int = 0) -> list[FakeDelta]:
    """``length`` deltas, each the only parent of the next."""
    deltas: list[FakeDelta] = []
    for index in range(length):
        deltas.append(make(f"c{index}", deltas[-1:], time=time))
    return deltas


def fake_id(text: str) -> bytes:
    """A 32-byte id nobody authored."""
    return hashlib.sha256(b"unknown:" + text.encode()).digest()
