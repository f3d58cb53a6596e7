"""Provides the basic values of host collections: kinds, HLC stamps, ids and errors."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from enum import IntEnum
from typing import NamedTuple, Protocol

from calimero_devnet.errors import DevnetError

ID_LEN = 32
U32_MAX = (1 << 32) - 1
U64_MAX = (1 << 64) - 1
U128_MAX = (1 << 128) - 1
_ID_DOMAIN = b"calimero-devnet/js-collection-id/v1"
_CHILD_DOMAIN = b"calimero-devnet/js-collection-child/v1"


class CollectionError(DevnetError):
    """A call misused a host collection: unknown id, wrong type, or a malformed argument.

    The runtime turns it into a ``<0`` status with the message in register 0.
    """


class DeltaRejectedError(CollectionError):
    """A peer's ``host-actions`` delta does not decode, or breaks a replication rule."""


class CollectionKind(IntEnum):
    """The collection types of HOST-ABI §6; the value is the Borsh tag in actions."""

    MAP = 0
    SET = 1
    VECTOR = 2
    LWW = 3
    COUNTER = 4
    USER_STORAGE = 5
    FROZEN_STORAGE = 6

    @property
    def label(self) -> str:
        """Return the name users know the kind by (``map``, ``user storage``, ...)."""
        return self.name.lower().replace("_", " ")


class Hlc(NamedTuple):
    """A hybrid-logical-clock stamp; tuples order by time, then node id (the tie-break)."""

    time: int
    node: int

    def to_bytes(self) -> bytes:
        """Return the 24-byte LE form the LWW ``timestamp`` import hands out."""
        return struct.pack("<Q", self.time) + self.node.to_bytes(16, "little")

    @classmethod
    def from_bytes(cls, raw: bytes) -> Hlc:
        """Parse the 24-byte LE form produced by :meth:`to_bytes`."""
        if len(raw) != 24:
            raise CollectionError(f"an HLC timestamp is 24 bytes, got {len(raw)}")
        return cls(struct.unpack_from("<Q", raw)[0], int.from_bytes(raw[8:], "little"))


class HlcLike(Protocol):
    """Anything with an HLC's two fields (e.g. the node clock's own ``Hlc`` dataclass)."""

    @property
    def time(self) -> int:
        """u64 time (nanoseconds with the node's logical bits)."""
        ...

    @property
    def node(self) -> int:
        """u128 node id (the tie-break)."""
        ...


HlcSource = Callable[[], HlcLike]
"""Returns a fresh HLC of the executing node each time it is called (the node's clock)."""


class Stamper:
    """Hands out one call's HLC stamps: strictly increasing, and above every observed stamp.

    The source is the node's clock. A source that repeats itself (e.g. "the call's HLC"), or
    lags a stamp already in the state, is bumped by one logical tick; :attr:`last` tells the
    node how far to advance its clock after the call (SYNC.md: HLCs are monotonic per node).
    """

    def __init__(self, source: HlcSource) -> None:
        self._source = source
        self._floor: Hlc | None = None
        self.last: Hlc | None = None

    def observe(self, stamp: tuple[int, int]) -> None:
        """Make every later stamp greater than ``stamp`` (an HLC seen in the state)."""
        if self._floor is None or stamp > self._floor:
            self._floor = Hlc(*stamp)

    def next(self, after: tuple[int, int] | None = None) -> Hlc:
        """Return a fresh stamp, greater than ``after`` and every stamp issued or observed."""
        if after is not None:
            self.observe(after)
        raw = self._source()
        hlc = Hlc(raw.time, raw.node)
        if self._floor is not None and hlc <= self._floor:
            hlc = Hlc(self._floor.time + 1, hlc.node)
        if not (0 <= hlc.time <= U64_MAX and 0 <= hlc.node <= U128_MAX):
            raise CollectionError(f"HLC {hlc} is out of range (u64 time, u128 node id)")
        self._floor = self.last = hlc
        return hlc


def collection_id(executor_id: bytes, stamp: Hlc, counter: int) -> bytes:
    """Derive a collection id every node agrees on without coordination.

    ``sha256(domain ‖ executor id ‖ u64 time LE ‖ u128 node LE ‖ u32 counter LE)``: the
    stamp is unique per node and the executor id per member, so ids never collide.
    """
    material = _ID_DOMAIN + executor_id + stamp.to_bytes() + struct.pack("<I", counter)
    return hashlib.sha256(material).digest()


def child_id(map_id: bytes, key: bytes, kind: CollectionKind) -> bytes:
    """The id of the ``kind`` collection nested under ``key`` of map ``map_id``.

    ``sha256(domain ‖ map id ‖ u8 kind ‖ key)``: members that create it concurrently create
    the same collection, so their writes to it merge instead of one copy winning the map
    entry and the other's contents becoming unreachable.
    """
    return hashlib.sha256(_CHILD_DOMAIN + map_id + bytes([kind]) + key).digest()


def frozen_key(value: bytes) -> bytes:
    """The key of ``value`` in a frozen storage: ``sha256(u32 LE length ‖ value)``, the
    SHA-256 of the Borsh bytes of ``value`` as a byte vector, which is how the upstream
    node keys the bytes its JS SDK sends (so a JS app's hashes match upstream's)."""
    return hashlib.sha256(struct.pack("<I", len(value)) + value).digest()


def check_len(method: str, what: str, raw: bytes, length: int = ID_LEN) -> bytes:
    """Return ``raw`` if it has ``length`` bytes, else raise naming ``method`` and ``what``."""
    if len(raw) != length:
        raise CollectionError(f"{method}: {what} must be exactly {length} bytes (got {len(raw)})")
    return raw
