"""Identities held by a node and calls run as them: a real NodeCore, runtime and store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calimero_devnet.errors import ContextNotFound, InvalidExecutor
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import decode, verify
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.state.invitation import decode_invitation
from tests.fixtures import load_wat


@pytest.fixture
def node(tmp_path: Path) -> Iterator[NodeCore]:
    with NodeCore.open(tmp_path / "node", name="n1", index=1) as core:
        yield core


def context_of(node: NodeCore, wat: str) -> bytes:
    app = node.install_application(load_wat(wat), source="test")
    return node.create_context(app).id


def test_a_created_identity_is_kept_in_the_store_across_restarts(tmp_path: Path) -> None:
    with NodeCore.open(tmp_path / "node", name="n1", index=1) as core:
        key = core.generate_identity()
        own = core.public_key
    with NodeCore.open(tmp_path / "node", name="n1", index=1) as core:
        assert core.identities.public_keys() == [own, key]
        held = core.identities.get(key)
        assert held is not None
        assert held.public_key == key
        assert held.seed.hex() not in repr(held)  # only the public key is ever shown


def test_executor_id_is_the_identity_a_call_runs_as(node: NodeCore) -> None:
    ctx = context_of(node, "probe")
    key = node.generate_identity()
    node.invite(ctx, node.public_key, key)
    ids = node.execute(ctx, "ids", b"", executor=key).output
    assert ids is not None
    assert ids[32:64] == key  # executor_id
    own = node.execute(ctx, "ids", b"").output
    assert own is not None
    assert own[32:64] == node.public_key


def test_a_call_as_an_identity_is_signed_by_it(node: NodeCore) -> None:
    ctx = context_of(node, "kv_store")
    key = node.generate_identity()
    node.invite(ctx, node.public_key, key)
    delta = node.execute(ctx, "set", b'{"key":"k","value":"v"}', executor=key).delta
    assert delta is not None
    assert delta.author == key
    record = node.store.context(ctx)
    assert record is not None
    stored = decode(node.store.delta(ctx, delta.id) or b"")
    verify(stored, record.members)  # raises if the signature or membership did not hold


def test_calls_as_an_unknown_key_or_a_non_member_are_refused_and_store_nothing(
    node: NodeCore,
) -> None:
    ctx = context_of(node, "kv_store")
    heads = node.context(ctx).heads
    stranger = NodeIdentity.generate().public_key
    with pytest.raises(InvalidExecutor, match="holds no key for executor"):
        node.execute(ctx, "set", b'{"key":"k","value":"v"}', executor=stranger)
    held = node.generate_identity()
    with pytest.raises(InvalidExecutor, match="is not a member of context"):
        node.execute(ctx, "set", b'{"key":"k","value":"v"}', executor=held)
    assert node.context(ctx).heads == heads


def test_an_invitation_is_signed_by_the_inviter_and_adds_the_invitee(node: NodeCore) -> None:
    ctx = context_of(node, "kv_store")
    invitee = NodeIdentity.generate().public_key
    invitation = decode_invitation(node.invite(ctx, node.public_key, invitee).encode())
    assert (invitation.context, invitation.invitee) == (ctx, invitee)
    assert (invitation.inviter, invitation.inviter_node) == (node.public_key, "n1")
    assert invitation.application == node.context(ctx).application_id
    assert invitee in node.context(ctx).members


def test_only_a_held_member_key_may_invite(node: NodeCore) -> None:
    ctx = context_of(node, "kv_store")
    invitee = NodeIdentity.generate().public_key
    with pytest.raises(InvalidExecutor, match="holds no key for inviter"):
        node.invite(ctx, invitee, invitee)
    outsider = node.generate_identity()
    with pytest.raises(InvalidExecutor, match="is not a member"):
        node.invite(ctx, outsider, invitee)
    with pytest.raises(ContextNotFound):
        node.invite(b"\x01" * 32, node.public_key, invitee)
    assert invitee not in node.context(ctx).members
