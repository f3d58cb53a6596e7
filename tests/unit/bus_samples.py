"""One sample of every bus message, built from real signed deltas (shared by bus tests)."""

from __future__ import annotations

from calimero_devnet.node.blobs.messages import BlobAnnouncement, BlobRequest, BlobResponse
from calimero_devnet.node.bus.transport import BusMessage
from calimero_devnet.node.runtime.types import Event
from calimero_devnet.node.state.clock import Hlc
from calimero_devnet.node.state.delta import CausalDelta, create_delta
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.sync.apps import AppRequest, AppResponse
from calimero_devnet.node.sync.membership import create_members_update
from calimero_devnet.node.sync.messages import (
    DeltaBroadcast,
    FetchRequest,
    FetchResponse,
    HeadsAnnouncement,
    Snapshot,
    SnapshotRequest,
    SnapshotResponse,
)

AUTHOR = NodeIdentity(b"\x07" * 32)
CTX = b"\xc1" * 32
OTHER_CTX = b"\xc2" * 32


def sample_delta(n: int = 0, payload_size: int = 16, context: bytes = CTX) -> CausalDelta:
    """A signed delta; ``n`` varies its id."""
    return create_delta(
        AUTHOR,
        context_id=context,
        parents=[bytes([n % 256]) * 32],
        hlc=Hlc(1_700_000_000_000_000_000 + n, 99),
        payload=bytes(payload_size),
        events=[Event("Set", b'{"k":1}', "on_set")],
    )


def every_message(sender: str = "node-1", context: bytes = CTX) -> list[BusMessage]:
    """One message of each kind the bus carries."""
    snapshot = Snapshot(context, ((b"k", b"v"), (b"", b"")), b"\x01" * 32, (b"\x02" * 32,), ())
    return [
        DeltaBroadcast(sender, context, sample_delta(1, context=context)),
        HeadsAnnouncement(sender, context, (b"\x03" * 32, b"\x04" * 32)),
        FetchRequest(sender, context, (b"\x05" * 32,), reply_to=sender),
        FetchResponse(sender, context, (sample_delta(2, context=context),), (b"\x06" * 32,)),
        SnapshotRequest(sender, context, reply_to=sender),
        SnapshotResponse(sender, context, snapshot),
        SnapshotResponse(sender, context, None),
        create_members_update(AUTHOR, sender, context, [AUTHOR.public_key, b"\x08" * 32]),
        BlobAnnouncement(sender, context, b"\x09" * 32, 3),
        BlobRequest(sender, context, b"\x09" * 32, 0, reply_to=sender),
        BlobResponse(
            sender, context, b"\x09" * 32, 0, True, 3, b"\x0a" * 32, (b"\x0b" * 32,), b"abc"
        ),
        BlobResponse(sender, context, b"\x09" * 32, 0, False, 0, bytes(32), (), b""),
        AppRequest(sender, context, b"\x09" * 32, reply_to=sender),
        AppResponse(sender, context, b"\x09" * 32, b"\0asm\x01\0\0\0"),
        AppResponse(sender, context, b"\x09" * 32, b""),
    ]
