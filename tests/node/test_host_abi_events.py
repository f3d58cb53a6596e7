"""Provides tests of events, xcalls, proposals and leftover WASI imports (HOST-ABI §1, §4)."""

from __future__ import annotations

import struct

from calimero_devnet.node.runtime import Event, Limits, XCall
from tests.node.host_abi_helpers import counter, fails, make_env, run


def test_emit_records_an_event() -> None:
    assert run("emit_one").events == [Event("Ping", b"{}", None)]


def test_emit_with_handler_records_the_handler() -> None:
    assert run("emit_handler").events == [Event("Ping", b"{}", "on_ping")]


def test_emit_with_handler_pointer_0_means_no_handler() -> None:
    assert run("emit_no_handler").events == [Event("Ping", b"{}", None)]


def test_event_kinds_and_counts_are_limited() -> None:
    assert str(fails("emit_long_kind")) == "event kind is 101 bytes, above the limit of 100 bytes"
    error = fails("emit_one", limits=Limits(max_events=0))
    assert str(error) == "more than 0 events in one call"


def test_xcall_queues_a_call() -> None:
    assert run("xcall_one").xcalls == [XCall(b"\x22" * 32, "ping", b"{}")]


def test_more_than_8_xcalls_trap() -> None:
    assert str(fails("xcall_nine")) == "more than 8 xcalls in one call"


def test_proposals_get_a_random_id_and_are_logged() -> None:
    outcome = run("proposal")
    proposal_id = bytes(range(32))
    assert outcome.returned == proposal_id
    assert outcome.logs == [
        f"[host] proposal {proposal_id.hex()} sent (3 bytes of actions)",
        f"[host] proposal {proposal_id.hex()} approved",
    ]


def test_wasi_output_becomes_log_lines_and_other_calls_are_deterministic() -> None:
    outcome = run("wasi_io", env=make_env(clock=counter(start=99)))
    assert outcome.logs == ["hello", "world", "partial"]
    returned = outcome.returned
    assert returned is not None
    status, written, bad_fd, closed, clock = struct.unpack_from("<IIIII", returned)
    assert (status, written, bad_fd, closed, clock) == (0, 12, 8, 8, 0)
    assert struct.unpack_from("<Q", returned, 0x18) == (99,)
    assert returned[0x28:0x30] == bytes(range(8))
    assert struct.unpack_from("<III", returned, 0x30) == (0, 0, 0)
    assert outcome.max_time_now == 99


def test_wasi_proc_exit_and_unknown_wasi_imports_trap() -> None:
    assert str(fails("wasi_exit")) == (
        "the app called WASI proc_exit(3); apps must return, not exit"
    )
    assert "wasi_snapshot_preview1.sock_accept" in str(fails("wasi_unknown"))
