"""Provides where a node that differs from the others stands: ahead, behind or diverged.

Heads alone cannot tell: a node cut off by a partition that went on writing has other heads
than the rest, and so has one that missed their writes. The deltas each side knows can: a
node that knows every head of the others (and more) is ahead; one whose heads the others
all know is behind; when each lacks some of the other's, both wrote while apart: diverged.

"Knows" is read from a node's recent DAG slice (``NodeClient.recent_deltas``): the deltas
it stores and their parents. Parents count because a node that joined from a snapshot
stores no bodies of the deltas before it, yet its first own delta names them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from calimero_devnet.cluster.nodeclient import NodeClient
from calimero_devnet.errors import ClusterError

AHEAD, BEHIND, DIVERGED = "ahead", "behind", "diverged"
UNKNOWN = "differs"  # the slices could not tell (a node did not answer, or the gap is longer)
SLICE = 512  # the most deltas a node hands out at once (node/state/deltalog.py MAX_RECENT)


@dataclass(frozen=True, slots=True)
class Known:
    """The deltas one node knows of a context; ``complete`` is False when older ones remain."""

    ids: frozenset[str]
    complete: bool

    def reaches(self, heads: Sequence[str]) -> bool | None:
        """Whether every one of ``heads`` is known (None: not in the slice, which is cut)."""
        if self.ids.issuperset(heads):
            return True
        return False if self.complete else None


async def known_deltas(client: NodeClient, context_id: str) -> Known | None:
    """What ``client``'s node knows of a context (None when it cannot say)."""
    try:
        data = await client.recent_deltas(context_id, SLICE)
    except ClusterError:
        return None
    ids = set(data["heads"])
    for delta in data["deltas"]:
        ids.add(delta["id"])
        ids.update(delta["parents"])
    return Known(frozenset(ids), not data["truncated"])


def standing(
    mine: Known | None, theirs: Known | None, my_heads: Sequence[str], their_heads: Sequence[str]
) -> str:
    """Where a node with ``my_heads`` stands against the others' ``their_heads``."""
    if mine is None or theirs is None:
        return UNKNOWN
    has_theirs, they_have_mine = mine.reaches(their_heads), theirs.reaches(my_heads)
    if has_theirs is None or they_have_mine is None:
        return UNKNOWN
    if has_theirs and not they_have_mine:
        return AHEAD
    if they_have_mine and not has_theirs:
        return BEHIND
    return DIVERGED  # each lacks some of the other's (or both know all: same DAG, other state)
