"""A node that does not answer (SIGSTOPped) is never converged: ``devnet wait-converged``
names it and exits non-zero at its timeout, for the state and for a value."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.test_devnet_up import devnet, devnet_json, manager

pytestmark = pytest.mark.integration
__all__ = ["manager"]  # the fixture, shared with test_devnet_up

SLACK_S = 2.0  # a poll may give a node MIN_REQUEST_S after the deadline, plus process work


def test_a_stopped_node_is_named_and_the_wait_fails_at_its_timeout(
    manager: tuple[subprocess.Popen[bytes], Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, data_dir, _ = manager
    assert devnet(capsys, data_dir, "wait-converged", "--timeout", "15")[0] == 0
    nodes = {n["name"]: n for n in devnet_json(capsys, data_dir, "status")["nodes"]}
    pid = int(nodes["node-3"]["pid"])
    os.kill(pid, signal.SIGSTOP)
    try:
        assert devnet(capsys, data_dir, "call", "node-1", "set", '{"key":"h","value":"1"}')[0] == 0
        value = ("--value", "get", '{"key":"h"}', "--expect", '"1"')
        for wait in (
            ("wait-converged", "--timeout", "3"),
            ("wait-converged", "--timeout", "3", *value),
        ):
            started = time.monotonic()
            code, out = devnet(capsys, data_dir, *wait)
            took = time.monotonic() - started
            assert code == 4, out
            assert "did not converge" in out
            assert "node-3: did not answer in time" in out
            assert took < 3 + SLACK_S, took
    finally:
        os.kill(pid, signal.SIGCONT)
    code, out = devnet(capsys, data_dir, "wait-converged", "--timeout", "15", "--value", "get",
                       '{"key":"h"}', "--expect", '"1"')  # fmt: skip
    assert code == 0, out
