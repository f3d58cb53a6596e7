"""Provides tests of value returns, time, randomness and ed25519 (HOST-ABI §4)."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from calimero_devnet.node.runtime import Limits
from tests.node.host_abi_helpers import counter, fails, make_env, run


def test_an_ok_return_is_the_outcome_value() -> None:
    outcome = run("echo", b"v")
    assert (outcome.returned, outcome.app_error) == (b"v", None)


def test_an_err_return_is_app_error_not_an_exception() -> None:
    outcome = run("app_err")
    assert outcome.returned is None
    assert outcome.app_error == b'{"kind":"NotFound","data":"zz"}'
    assert not outcome.committed


def test_the_last_value_return_wins() -> None:
    outcome = run("err_then_ok")
    assert (outcome.returned, outcome.app_error) == (b"v1", None)


def test_an_unknown_value_return_tag_traps() -> None:
    assert str(fails("bad_tag")) == "value_return: the tag must be 0 (Ok) or 1 (Err), got 2"


def test_value_returns_are_limited() -> None:
    error = fails("echo", b"12345", limits=Limits(max_value_return=4))
    assert "value_return value is 5 bytes, above the limit of 4 bytes" in str(error)


def test_time_now_writes_the_node_clock_and_tracks_the_largest_value() -> None:
    outcome = run("time_ok", env=make_env(clock=counter(start=7_000, step=5)))
    assert outcome.returned == (7_005).to_bytes(8, "little")
    assert outcome.max_time_now == 7_005


def test_time_now_with_a_buffer_that_is_not_8_bytes_traps() -> None:
    assert str(fails("time_bad")) == "time_now buffer must be exactly 8 bytes, got 4"


def test_random_bytes_come_from_the_call_env() -> None:
    assert run("random").returned == bytes(range(16))


def _signed(message: bytes) -> tuple[bytes, bytes]:
    key = Ed25519PrivateKey.generate()
    return key.sign(message), key.public_key().public_bytes_raw()


def test_ed25519_verify_accepts_a_valid_signature() -> None:
    signature, public_key = _signed(b"hello")
    assert run("ed_verify", signature + public_key + b"hello").returned == b"\x01"


def test_ed25519_verify_rejects_a_wrong_message_or_key() -> None:
    signature, public_key = _signed(b"hello")
    assert run("ed_verify", signature + public_key + b"hellO").returned == b"\x00"
    _, other_key = _signed(b"x")
    assert run("ed_verify", signature + other_key + b"hello").returned == b"\x00"
    assert run("ed_verify", bytes(64) + bytes(32) + b"hello").returned == b"\x00"


def test_ed25519_verify_with_a_wrong_size_traps() -> None:
    assert str(fails("ed_short_sig")) == "ed25519 signature must be exactly 64 bytes, got 63"
