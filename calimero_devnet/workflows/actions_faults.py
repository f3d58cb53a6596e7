"""Provides our link-fault steps, ``latency`` and ``loss``, simulated at each node's bus adapter.

Both name their links the same way: ``from`` and ``to`` (a node or a list each) for the
links from each ``from`` node to each ``to`` node, one way; or ``nodes`` for every link
among those nodes, both ways. Each sets its own fault and keeps the other one a link has;
``heal`` clears both. ``seed`` reseeds the random draws (loss, jitter) of every link.
"""

from __future__ import annotations

from itertools import permutations
from typing import Any

from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.results import StepFailed, StepResult

Response = dict[str, Any]


def link_pairs(fields: Response) -> list[tuple[str, str]]:
    """The directed links a fault step names (see the module docstring).

    Raises:
        StepFailed: the links name no pair of two different nodes.
    """
    if "nodes" in fields:
        pairs = list(permutations(_names(fields["nodes"]), 2))
    else:
        pairs = [(a, b) for a in _names(fields["from"]) for b in _names(fields["to"]) if a != b]
    if not pairs:
        raise StepFailed("the links name no two different nodes")
    return pairs


def _names(value: Any) -> list[str]:
    return [str(name) for name in (value if isinstance(value, list) else [value])]


def _seed(fields: Response) -> int | None:
    return int(fields["seed"]) if fields.get("seed") is not None else None


async def latency(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Extension: delay the links by ``ms`` (± ``jitter_ms``); ``ms: 0`` clears the delay."""
    pairs = link_pairs(fields)
    jitter = float(fields.get("jitter_ms", 0))
    await ctx.cluster.faults(pairs, latency_ms=float(fields["ms"]), jitter_ms=jitter,
                             seed=_seed(fields))  # fmt: skip
    return {"links": [f"{a}>{b}" for a, b in pairs]}


async def loss(ctx: Context, fields: Response, _: StepResult) -> Response:
    """Extension: drop ``percent`` of the links' messages at random; ``percent: 0`` clears it."""
    pairs = link_pairs(fields)
    await ctx.cluster.faults(pairs, loss=float(fields["percent"]) / 100, seed=_seed(fields))
    return {"links": [f"{a}>{b}" for a, b in pairs]}
