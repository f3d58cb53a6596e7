"""Membership (admitting joiners, signed updates) and snapshot checks, without a bus."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from calimero_devnet.errors import ParseError
from calimero_devnet.node.replication import members as members_module
from calimero_devnet.node.replication.members import Membership
from calimero_devnet.node.replication.outbox import Cast, Feed, Outbox
from calimero_devnet.node.replication.snapshot import (
    JoinInfo,
    encode_host_state,
    export_snapshot,
    read_join_info,
)
from calimero_devnet.node.state.core import NodeCore, context_id_for_seed
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.sync.membership import MembersUpdate, create_members_update
from calimero_devnet.testing.fake_runtime import fake_wasm
from tests.node.core_helpers import SEED, open_node


@pytest.fixture
def member(tmp_path: Path) -> Iterator[tuple[NodeCore, bytes, Membership, Outbox]]:
    with open_node(tmp_path / "a") as core:
        ctx = core.create_context(core.install_application(fake_wasm(), source="t"), seed=SEED).id
        out = Outbox()
        yield core, ctx, Membership(core.store, core.identity, "a", out), out


def intro(ctx: bytes, who: NodeIdentity, name: str) -> MembersUpdate:
    """A joiner's introduction: its own key, signed by itself."""
    return create_members_update(who, name, ctx, (who.public_key,))


def test_a_joiner_is_admitted_in_either_order(
    member: tuple[NodeCore, bytes, Membership, Outbox],
) -> None:
    core, ctx, members, out = member
    first, second = NodeIdentity.generate(), NodeIdentity.generate()
    assert members.on_update(intro(ctx, first, "j1")) is True
    assert members.members(ctx) == frozenset({core.public_key})  # not admitted by that alone
    members.on_snapshot_request(ctx, "j1")
    members.on_snapshot_request(ctx, "j2")  # asks before introducing itself
    members.on_update(intro(ctx, second, "j2"))
    everyone = frozenset({core.public_key, first.public_key, second.public_key})
    assert members.members(ctx) == everyone
    assert core.context(ctx).members == tuple(sorted(everyone))  # stored, not just cached
    members.flush()  # the end of the engine's job
    casts = [item.message for item in out.take() if isinstance(item, Cast)]
    assert len(casts) == 1  # two admitted, one broadcast
    last = casts[-1]
    assert isinstance(last, MembersUpdate)
    assert last.signer == core.public_key
    assert frozenset(last.members) == everyone


def test_updates_from_members_add_and_others_are_dropped(
    member: tuple[NodeCore, bytes, Membership, Outbox], caplog: pytest.LogCaptureFixture
) -> None:
    core, ctx, members, out = member
    stranger, newcomer = NodeIdentity.generate(), NodeIdentity.generate()
    by_stranger = create_members_update(stranger, "x", ctx, (stranger.public_key, b"\1" * 32))
    forged = replace(
        create_members_update(core.identity, "x", ctx, (core.public_key, newcomer.public_key)),
        signature=bytes(64),
    )
    with caplog.at_level(logging.WARNING):
        assert members.on_update(by_stranger) is False
        assert members.on_update(forged) is False
    assert members.members(ctx) == frozenset({core.public_key})
    assert "is not a member" in caplog.text
    assert "bad signature" in caplog.text
    signed = create_members_update(core.identity, "a2", ctx, (newcomer.public_key,))
    members.on_update(signed)  # e.g. our own key from another process: a member signed it
    assert newcomer.public_key in core.context(ctx).members
    feed = [item.event for item in out.take() if isinstance(item, Feed)]
    assert [event["event"] for event in feed].count("members") == 1


def test_a_list_we_already_hold_is_dropped_before_its_signature_is_checked(
    member: tuple[NodeCore, bytes, Membership, Outbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every member re-broadcasts its list every few seconds; with thirty nodes that is ten
    # lists a second per node, and checking signatures of lists that change nothing is waste.
    core, ctx, members, out = member
    checked: list[MembersUpdate] = []
    monkeypatch.setattr(members_module, "has_valid_signature", checked.append)
    same = create_members_update(core.identity, "a2", ctx, (core.public_key,))
    assert members.on_update(same) is False
    assert checked == []
    assert out.take() == []


def test_a_snapshot_must_carry_its_heads_signed_by_members(
    member: tuple[NodeCore, bytes, Membership, Outbox],
) -> None:
    core, ctx, _, _ = member
    core.execute(ctx, "set", b'{"key":"k","value":"v"}')
    snapshot = export_snapshot(core.store, ctx)
    assert snapshot is not None
    info = read_join_info(snapshot)
    assert info.application_id == core.context(ctx).application_id
    assert [d.id for d in info.head_deltas] == list(snapshot.heads)
    with pytest.raises(ParseError, match="host state is malformed"):
        read_join_info(replace(snapshot, host_state=b"\x01junk"))
    headless = encode_host_state(replace(info, head_deltas=()))
    with pytest.raises(ParseError, match="bodies of its heads"):
        read_join_info(replace(snapshot, host_state=headless))
    strangers = encode_host_state(JoinInfo(info.application_id, (b"\2" * 32,), info.head_deltas))
    with pytest.raises(ParseError, match="not a context member"):
        read_join_info(replace(snapshot, host_state=strangers))
    assert export_snapshot(core.store, b"\3" * 32) is None


def test_an_introduction_heard_while_joining_admits_a_later_joiner(tmp_path: Path) -> None:
    # node b is still joining when c introduces itself; c then asks b (not a) for a snapshot
    joiner = NodeIdentity.generate()
    with open_node(tmp_path / "b") as core:
        out = Outbox()
        members = Membership(core.store, core.identity, "b", out)
        app = core.install_application(fake_wasm(), source="t")
        ctx = context_id_for_seed(SEED)
        assert members.on_update(intro(ctx, joiner, "c")) is True  # no record of ctx yet
        core.create_context(app, seed=SEED)  # b's snapshot lands (stands in for the install)
        members.on_snapshot_request(ctx, "c")
        assert joiner.public_key in core.context(ctx).members
        members.flush()
        casts = [item.message for item in out.take() if isinstance(item, Cast)]
        assert any(isinstance(m, MembersUpdate) and joiner.public_key in m.members for m in casts)


def test_a_node_missing_from_its_own_list_introduces_itself_again(
    member: tuple[NodeCore, bytes, Membership, Outbox],
) -> None:
    core, _, _, _ = member
    out = Outbox()
    stranger = NodeIdentity.generate()  # our identity is not in the context's members
    Membership(core.store, stranger, "z", out).announce()
    casts = [item.message for item in out.take() if isinstance(item, Cast)]
    assert [m.members for m in casts if isinstance(m, MembersUpdate)] == [(stranger.public_key,)]
