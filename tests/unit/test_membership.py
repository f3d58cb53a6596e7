"""Members updates: canonical signed bytes and signature checks."""

from __future__ import annotations

import dataclasses

import pytest

from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.sync.membership import (
    create_members_update,
    has_valid_signature,
    signing_bytes,
)

ALICE, BOB = NodeIdentity(b"\x01" * 32), NodeIdentity(b"\x02" * 32)
CTX = b"\xcc" * 32


def test_update_is_sorted_deduplicated_and_signed_by_its_author() -> None:
    update = create_members_update(ALICE, "node-1", CTX, [BOB.public_key, ALICE.public_key] * 2)
    assert update.members == tuple(sorted({ALICE.public_key, BOB.public_key}))
    assert update.signer == ALICE.public_key
    assert has_valid_signature(update)


def test_signed_bytes_ignore_member_order_but_not_the_context() -> None:
    keys = [ALICE.public_key, BOB.public_key]
    assert signing_bytes(CTX, keys) == signing_bytes(CTX, keys[::-1])
    assert signing_bytes(CTX, keys) != signing_bytes(b"\xcd" * 32, keys)
    assert signing_bytes(CTX, keys).startswith(b"\x1a\x00\x00\x00calimero-devnet/members/v1")


@pytest.mark.parametrize(
    "change",
    [
        {"members": (b"\x09" * 32,)},
        {"context": b"\xcd" * 32},
        {"signer": b"\x02" * 32},
        {"members": (b"short",)},
        {"signature": b"\x00" * 64},
    ],
)
def test_tampered_updates_fail_the_check(change: dict[str, object]) -> None:
    update = create_members_update(ALICE, "node-1", CTX, [ALICE.public_key])
    assert not has_valid_signature(dataclasses.replace(update, **change))  # type: ignore[arg-type]


def test_signing_bytes_refuse_bad_key_lengths() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        signing_bytes(CTX, [b"short"])
