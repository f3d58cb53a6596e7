"""Provides the parts of the fake cluster (``fake_cluster.py``): its app and ABI manifest,
its nodes and deltas, and the stable ids they are named by."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from calimero_devnet.ids import to_b58

APP = "kv-store"
MANIFEST = {
    "schema": "calimero_abi_v1",
    "app": APP,
    "methods": [
        {
            "name": "set",
            "kind": "call",
            "returns": "void",
            "params": [
                {"name": "key", "type": "string", "optional": False},
                {"name": "value", "type": "string", "optional": False},
            ],
        },
        {
            "name": "get",
            "kind": "view",
            "returns": "string | null",
            "params": [{"name": "key", "type": "string", "optional": False}],
        },
        {"name": "len", "kind": "view", "returns": "number", "params": []},
    ],
}


def fake_id(*parts: object) -> str:
    """A stable base58 id from ``parts``."""
    return to_b58(hashlib.sha256(repr(parts).encode()).digest())


@dataclass
class FakeNode:
    """One node: running?, its key-value state, the deltas it has, its heads."""

    name: str
    index: int
    running: bool = True
    values: dict[str, str] = field(default_factory=dict)
    have: set[str] = field(default_factory=set)
    heads: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return fake_id("key", self.name)


@dataclass(frozen=True, slots=True)
class FakeDelta:
    """A delta of the fake DAG."""

    id: str
    author: str
    parents: tuple[str, ...]
    key: str
    value: str
    seq: int
