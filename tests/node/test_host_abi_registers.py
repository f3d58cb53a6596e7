"""Provides tests of registers and ids (HOST-ABI §3-4): u64 keys, register 0xFFFF_FFFE."""

from __future__ import annotations

from calimero_devnet.node.runtime import Limits
from tests.node.host_abi_helpers import CONTEXT, EXECUTOR, fails, run

U64_MAX_LE = b"\xff" * 8


def test_input_round_trips_through_the_sdk_data_register() -> None:
    assert run("echo", b'{"key":"a"}').returned == b'{"key":"a"}'


def test_an_empty_input_still_sets_the_register() -> None:
    assert run("echo", b"").returned == b""


def test_register_len_of_an_unset_register_is_u64_max() -> None:
    assert run("reg_unset_len").returned == U64_MAX_LE


def test_read_register_traps_on_a_missing_register() -> None:
    error = fails("reg_missing")
    assert str(error) == "read_register: register 777 was never set"
    assert error.kind == "host"


def test_read_register_with_a_wrong_length_returns_0_and_copies_nothing() -> None:
    returned = run("reg_wrong_len", b"abc").returned
    assert returned == b"\x00\x00\x00\x00\xaa"


def test_register_ids_are_compared_as_full_u64_values() -> None:
    returned = run("reg_high").returned
    assert returned is not None
    assert returned[:32] == CONTEXT  # register 0xFFFF_FFFE
    assert returned[32:64] == EXECUTOR  # register 0x8000_0000_0000_0001
    assert returned[64:72] == U64_MAX_LE  # 0xFFFF_FFFF_FFFF_FFFE was never set
    assert returned[72:80] == U64_MAX_LE  # nor 0x8000_0001


def test_ids_come_from_the_call_env() -> None:
    assert run("ids").returned == CONTEXT + EXECUTOR + EXECUTOR + EXECUTOR


def test_the_register_count_is_limited() -> None:
    error = fails("ids", limits=Limits(max_registers=2))
    assert "too many registers: the limit is 2" in str(error)


def test_register_sizes_are_limited() -> None:
    error = fails("echo", b"x" * 11, limits=Limits(max_register_bytes=10))
    assert str(error) == "register 4294967294 is 11 bytes, above the limit of 10 bytes"
    error = fails("ids", limits=Limits(max_registers_total=40))
    assert "more than 40 bytes in total" in str(error)
