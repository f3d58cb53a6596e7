"""Provides the answer to a fetch request: the asked deltas plus the ancestors the asker lacks.

The sync core asks for one missing parent per round trip, which would make a node that
missed a long chain (a healed partition, a restart, a node that was down) walk it back one
delta at a time: a thousand round trips for a thousand deltas. The answer here walks back
from each requested id through stored parents instead, stopping at deltas the asker
announced as heads (it has them and all their ancestors), up to ``MAX_SERVED`` deltas, and
lists them oldest first: HLC times grow along every parent edge, so that order is causal
and the asker applies the whole chain in one batch. Ancestors the asker already has cost it
a duplicate check each; ids cut off by the limit are simply asked for again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection

from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.sync.messages import FetchRequest, FetchResponse

MAX_SERVED = 512
Lookup = Callable[[bytes, bytes], CausalDelta | None]


def serve_fetch(
    node: str,
    request: FetchRequest,
    lookup: Lookup,
    asker_has: Collection[bytes],
    *,
    max_ids: int,
    limit: int = MAX_SERVED,
) -> FetchResponse[CausalDelta]:
    """Answer ``request`` as ``node``.

    Args:
        node: this node's name (the answer's sender).
        request: the fetch request.
        lookup: ``(context, id)`` → the stored delta or None (never a body-less marker).
        asker_has: ids the asker is known to have (its announced heads that we have).
        max_ids: how many requested ids to honour (the request limit of the protocol).
        limit: how many deltas to send at most.
    """
    asked = request.ids[:max_ids]
    wanted = set(asked)
    found: dict[bytes, CausalDelta] = {}
    not_found: list[bytes] = []
    queue = deque(asked)
    seen = set(asker_has) - wanted
    while queue and len(found) < limit:
        delta_id = queue.popleft()
        if delta_id in seen:
            continue
        seen.add(delta_id)
        delta = lookup(request.context, delta_id)
        if delta is None:
            if delta_id in wanted:
                not_found.append(delta_id)
            continue
        found[delta_id] = delta
        queue.extend(delta.parents)
    # Asked ids cut off by ``limit`` are neither found nor not found: the asker asks again.
    ordered = sorted(found.values(), key=lambda d: (d.hlc.time, d.hlc.node, d.id))
    return FetchResponse(node, request.context, tuple(ordered), tuple(not_found))
