"""Provides the rate-limited plan of which missing delta ids to request, and from whom.

Pure: callers pass ``now`` (unix time in ns). Rules:

- an id is requested again only after a retry delay without an answer, and each retry
  goes to the next peer believed to have it (round robin), so a silent peer is bypassed;
- the retry delay is ``retry_after`` or, if longer, the measured round trip's timeout
  (``RoundTrip``), and doubles with each retry of the same id up to ``max_retry_after``:
  on a loaded bus an answer that is merely slow is not asked of peer after peer (a healed
  partition of 20 nodes on amqtt asked each 512-delta chain ~14 times, and the copies
  kept the bus too busy to ever catch up);
- a peer that answers "not found" is no longer asked for that id, and the next candidate
  is asked at once;
- an id nobody delivered within ``give_up_after`` is forgotten (a later announcement or
  child brings it back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from calimero_devnet.node.sync.dag import SECOND

DEFAULT_RETRY_AFTER = 2 * SECOND
DEFAULT_MAX_RETRY_AFTER = 60 * SECOND
DEFAULT_GIVE_UP_AFTER = 300 * SECOND
DEFAULT_MAX_IDS_PER_REQUEST = 256


class RoundTrip:
    """The smoothed round trip of answered requests and its retransmission timeout.

    The estimator of TCP (RFC 6298), timeout = smoothed + 4 * variation. An answer to an id
    asked more than once is timed from its last request: it may answer an earlier one, so
    that is a lower bound, and without it a bus slower than the first retry would never be
    measured (every first answer would follow a retry).
    """

    def __init__(self) -> None:
        """Start without samples (timeout 0: the caller's floor applies)."""
        self.smoothed = 0
        self.variation = 0
        self.samples = 0

    def sample(self, elapsed: int) -> None:
        """Take one round trip (ns)."""
        if self.samples == 0:
            self.smoothed, self.variation = elapsed, elapsed // 2
        else:
            self.variation = (3 * self.variation + abs(self.smoothed - elapsed)) // 4
            self.smoothed = (7 * self.smoothed + elapsed) // 8
        self.samples += 1

    @property
    def timeout(self) -> int:
        """How long an answer may take before its request counts as lost (ns)."""
        return self.smoothed + 4 * self.variation


@dataclass(slots=True)
class _Want:
    first_at: int
    peers: list[str] = field(default_factory=list)  # candidates, in the order learned
    turn: int = 0  # the next candidate to ask is peers[turn % len(peers)]
    sent_at: int | None = None  # None: ask as soon as a candidate exists
    sends: int = 0  # requests sent for this id so far


class FetchPlan:
    """Which ids one context still wants, who may have them, and when to ask."""

    def __init__(
        self,
        *,
        retry_after: int = DEFAULT_RETRY_AFTER,
        max_retry_after: int = DEFAULT_MAX_RETRY_AFTER,
        give_up_after: int = DEFAULT_GIVE_UP_AFTER,
        max_ids_per_request: int = DEFAULT_MAX_IDS_PER_REQUEST,
    ) -> None:
        """Configure the limits (durations in ns)."""
        self._retry_after = retry_after
        self._max_retry_after = max(max_retry_after, retry_after)
        self._give_up_after = give_up_after
        self._max_ids = max_ids_per_request
        self._wants: dict[bytes, _Want] = {}
        self.round_trip = RoundTrip()

    def __len__(self) -> int:
        """Number of ids wanted."""
        return len(self._wants)

    def __contains__(self, delta_id: object) -> bool:
        """True if ``delta_id`` is wanted."""
        return delta_id in self._wants

    def want(self, delta_id: bytes, peer: str, now: int) -> None:
        """Note that ``peer`` should have ``delta_id``, which we lack."""
        entry = self._wants.setdefault(delta_id, _Want(first_at=now))
        if peer not in entry.peers:
            entry.peers.append(peer)

    def got(self, delta_id: bytes, now: int | None = None) -> None:
        """Stop wanting ``delta_id``: it arrived at ``now`` (a round trip sample), or is no
        longer needed (``now`` None)."""
        entry = self._wants.pop(delta_id, None)
        if now is not None and entry is not None and entry.sent_at is not None:
            self.round_trip.sample(max(0, now - entry.sent_at))

    def retry_delay(self, sends: int) -> int:
        """How long to wait for an answer after the ``sends``-th request of an id (ns)."""
        first = max(self._retry_after, self.round_trip.timeout)
        return min(self._max_retry_after, first << min(max(sends - 1, 0), 16))

    def not_found(self, delta_id: bytes, peer: str) -> None:
        """``peer`` answered that it lacks ``delta_id``: ask the next candidate at once."""
        entry = self._wants.get(delta_id)
        if entry is None or peer not in entry.peers:
            return
        position = entry.peers.index(peer)
        next_index = entry.turn % len(entry.peers)
        entry.peers.remove(peer)
        entry.turn = next_index - 1 if position < next_index else next_index
        entry.sent_at = None

    def retain(self, keep: Callable[[bytes], bool], now: int) -> tuple[bytes, ...]:
        """Forget ids ``keep`` rejects and ids wanted too long; return the given-up ones."""
        given_up: list[bytes] = []
        for delta_id, entry in list(self._wants.items()):
            if not keep(delta_id):
                del self._wants[delta_id]
            elif now - entry.first_at >= self._give_up_after:
                del self._wants[delta_id]
                given_up.append(delta_id)
        return tuple(given_up)

    def due(self, now: int) -> list[tuple[str, tuple[bytes, ...]]]:
        """Mark as sent, and return as (peer, ids) batches, every request to send now."""
        by_peer: dict[str, list[bytes]] = {}
        for delta_id, entry in self._wants.items():
            if not entry.peers:
                continue
            if entry.sent_at is not None and now - entry.sent_at < self.retry_delay(entry.sends):
                continue
            peer = entry.peers[entry.turn % len(entry.peers)]
            entry.turn += 1  # candidates learned later join the rotation
            entry.sent_at = now
            entry.sends += 1
            by_peer.setdefault(peer, []).append(delta_id)
        batches: list[tuple[str, tuple[bytes, ...]]] = []
        for peer, ids in by_peer.items():
            for start in range(0, len(ids), self._max_ids):
                batches.append((peer, tuple(ids[start : start + self._max_ids])))
        return batches
