"""Fetching a context's app from a peer: only asked-for bytes with the right hash install."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from calimero_devnet.ids import sha256
from calimero_devnet.node.replication.app_fetch import AppFetch
from calimero_devnet.node.replication.outbox import AppSettled, Outbox, Send
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.sync.apps import AppRequest, AppResponse
from tests.fixtures import load_wat

CTX = b"\xc1" * 32
WASM = load_wat("kv_store")
APP = sha256(WASM)


@pytest.fixture
def core(tmp_path: Path) -> Iterator[NodeCore]:
    with NodeCore.open(tmp_path / "joiner", name="joiner", index=2) as node:
        yield node


def settled(out: Outbox) -> list[AppSettled]:
    return [item for item in out.take() if isinstance(item, AppSettled)]


def test_the_app_is_asked_of_the_peer_and_installed_when_its_hash_matches(
    core: NodeCore,
) -> None:
    out = Outbox()
    fetch = AppFetch(core, "joiner", out)
    fetch.request(APP, CTX, "inviter")
    assert out.take() == [Send("inviter", AppRequest("joiner", CTX, APP, "joiner"))]
    fetch.on_response(AppResponse("inviter", CTX, APP, WASM))
    assert settled(out) == [AppSettled(APP, None)]
    assert core.application(APP).source == "peer:inviter"


def test_bytes_of_another_hash_are_refused(core: NodeCore) -> None:
    out = Outbox()
    fetch = AppFetch(core, "joiner", out)
    fetch.request(APP, CTX, "inviter")
    out.take()
    fetch.on_response(AppResponse("inviter", CTX, APP, WASM + b"\0"))
    (ended,) = settled(out)
    assert ended.error is not None
    assert "sent bytes whose sha256 is not application id" in str(ended.error)
    assert core.store.app(APP) is None


def test_unsolicited_answers_and_answers_from_other_peers_are_ignored(core: NodeCore) -> None:
    out = Outbox()
    fetch = AppFetch(core, "joiner", out)
    fetch.on_response(AppResponse("mallory", CTX, APP, WASM))
    fetch.request(APP, CTX, "inviter")
    out.take()
    fetch.on_response(AppResponse("mallory", CTX, APP, WASM))
    assert settled(out) == []
    assert core.store.app(APP) is None


def test_a_peer_without_the_app_ends_the_fetch_with_a_reason(core: NodeCore) -> None:
    out = Outbox()
    fetch = AppFetch(core, "joiner", out)
    fetch.request(APP, CTX, "inviter")
    fetch.on_response(AppResponse("inviter", CTX, APP, b""))
    (ended,) = settled(out)
    assert str(ended.error).startswith("node inviter does not have application")


def test_a_request_is_answered_with_the_installed_bytes_or_nothing(core: NodeCore) -> None:
    out = Outbox()
    fetch = AppFetch(core, "joiner", out)
    fetch.on_request(AppRequest("other", CTX, APP, "other"))
    core.install_application(WASM, source="test")
    fetch.on_request(AppRequest("other", CTX, APP, "other"))
    fetch.request(APP, CTX, "inviter")  # installed already: settled at once, nothing sent
    assert out.take() == [
        Send("other", AppResponse("joiner", CTX, APP, b"")),
        Send("other", AppResponse("joiner", CTX, APP, WASM)),
        AppSettled(APP, None),
    ]
