"""Provides tests of storage over the overlay, commit and private storage (HOST-ABI §4-5)."""

from __future__ import annotations

from calimero_devnet.node.runtime import Limits
from tests.node.host_abi_helpers import DictPrivate, DictState, fails, make_env, run

ROOT = b"\x11" * 32


def test_storage_functions_report_old_values_through_the_overlay() -> None:
    outcome = run("storage_ops", b"key")
    assert outcome.returned == (
        b"\x00\x01\x01\x01\x00\x00"  # write (new), write (old), read, remove, read, remove
        + b"\x00\x00"
        + b"v1v2v2"  # old value of the 2nd write, the read, the remove
        + b"\x00\x00"
        + b"\xff" * 8  # a failed read leaves its register unset
    )
    assert outcome.writes == {b"key": None}


def test_reads_fall_through_to_the_committed_state() -> None:
    state = DictState({b"key": b"committed"})
    assert run("read_state", b"key", env=make_env(state)).returned == b"committed"
    assert run("read_state", b"other", env=make_env(state)).returned == b""


def test_an_existing_key_reports_its_committed_value_as_old() -> None:
    outcome = run("storage_ops", b"key", env=make_env(DictState({b"key": b"v0"})))
    assert outcome.returned is not None
    assert outcome.returned[:6] == b"\x01\x01\x01\x01\x00\x00"


def test_commit_records_root_and_artifact() -> None:
    outcome = run("write_commit")
    assert outcome.committed
    assert (outcome.root_hash, outcome.artifact) == (ROOT, b"art")
    assert outcome.writes == {b"k": b"v"}


def test_writes_without_commit_are_not_committed() -> None:
    outcome = run("write_no_commit")
    assert not outcome.committed
    assert outcome.root_hash is None


def test_an_err_return_after_commit_is_not_committed() -> None:
    outcome = run("commit_then_err")
    assert outcome.root_hash == ROOT
    assert outcome.app_error is not None
    assert not outcome.committed


def test_a_second_commit_traps() -> None:
    assert str(fails("commit_twice")) == "commit was called twice in one execution"


def test_a_root_hash_that_is_not_32_bytes_traps() -> None:
    assert str(fails("commit_short_root")) == "commit root hash must be exactly 32 bytes, got 31"


def test_artifacts_are_limited() -> None:
    error = fails("write_commit", limits=Limits(max_artifact=2))
    assert str(error) == "commit artifact is 3 bytes, above the limit of 2 bytes"


def test_keys_and_write_counts_are_limited() -> None:
    assert "storage key is 3 bytes, above the limit of 2" in str(
        fails("storage_ops", b"key", limits=Limits(max_key=2))
    )
    assert "more than 1 storage writes in one call" in str(
        fails("storage_ops", b"key", limits=Limits(max_writes=1))
    )
    assert "more than 5 bytes of storage writes" in str(
        fails("storage_ops", b"key", limits=Limits(max_write_bytes=5))
    )


def test_private_storage_goes_to_the_node_local_table() -> None:
    private = DictPrivate({b"other": b"x"})
    outcome = run("private_ops", b"secret", env=make_env(private=private))
    assert outcome.returned == b"\x01\x01\x01\x00v1"
    assert private == {b"other": b"x"}
    assert outcome.writes == {}


def test_private_storage_without_a_table_traps_clearly() -> None:
    error = fails("private_ops", b"secret")
    assert str(error) == "private_storage_write: this node offers no private storage to the call"


def test_storage_index_stubs_and_xcall_origin_answer_zero() -> None:
    assert run("index_stubs").returned == b"\x00\x00\x00\x00"
