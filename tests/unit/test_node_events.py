"""What the supervisor says about node processes: exit reasons, log tails, event sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from calimero_devnet.cluster.processes.node_events import (
    RUN_MARKER,
    NodeExited,
    NodeReady,
    NodeStopped,
    StopEscalated,
    exit_reason,
    log_tail,
    parse_ready_line,
    signal_name,
)
from calimero_devnet.errors import ClusterError


def test_exit_reasons_name_signals_and_known_codes() -> None:
    assert exit_reason(-9) == "killed by SIGKILL"
    assert exit_reason(0) == "exit code 0, clean stop"
    assert exit_reason(5).startswith("exit code 5, store unusable")
    assert exit_reason(42) == "exit code 42"
    assert signal_name(-15) == "SIGTERM"
    assert signal_name(-200) == "signal 200"
    assert signal_name(3) is None


def test_the_log_tail_covers_the_latest_run_only(tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    assert log_tail(log) == ()
    old_run = "".join(f"old {i}\n" for i in range(30))
    new_run = "".join(f"new {i}\n" for i in range(25))
    log.write_text(f"{RUN_MARKER}n at t1 ---\n{old_run}{RUN_MARKER}n at t2 ---\n\n{new_run}")
    tail = log_tail(log)
    assert tail == tuple(f"new {i}" for i in range(5, 25))
    log.write_text(f"{RUN_MARKER}n at t3 ---\nonly\n")
    assert log_tail(log) == ("only",)
    log.write_text("no marker\nat all\n")
    assert log_tail(log, 1) == ("at all",)


def test_events_read_as_sentences() -> None:
    assert str(NodeReady("node-2", "127.0.0.1", 2429, "K", 7, 0.414)) == (
        "node-2 ready on :2429 in 0.41 s"
    )
    assert str(StopEscalated("node-3", 5.0)) == "node-3 did not stop within 5 s: sent SIGKILL"
    assert str(NodeStopped("node-1", 0, 0.3)) == "node-1 stopped in 0.30 s"
    crash = NodeExited("node-1", 1, None, ("boom",))
    assert str(crash) == "node-1 exited unexpectedly: exit code 1, crashed or shut down uncleanly"
    assert crash.reason.startswith("exit code 1")


def test_the_ready_line_is_parsed_or_quoted() -> None:
    line = b'{"event":"ready","name":"n","rpcPort":2428,"publicKey":"HX8","pid":7,"host":"::1"}\n'
    assert parse_ready_line("node-1", line, 0.5) == NodeReady("node-1", "::1", 2428, "HX8", 7, 0.5)
    for bad in (b"hello\n", b"[1]\n", b'{"event":"ready"}\n', b'{"event":"gone"}\n'):
        with pytest.raises(ClusterError, match=r"^node-1 printed b'.*' on stdout instead of its"):
            parse_ready_line("node-1", bad, 0.5)
