"""The console script: ``devnet run`` ends at once (no interpreter teardown), others do not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from calimero_devnet import cli


class Ended(Exception):
    """How the fake exits end the test's ``console()`` call."""

    def __init__(self, how: str, code: int) -> None:
        super().__init__(how, code)
        self.how, self.code = how, code


@pytest.fixture
def endings(monkeypatch: pytest.MonkeyPatch) -> None:
    def exit_now(code: int) -> None:
        raise Ended("exit_now", code)

    def sys_exit(code: int) -> None:
        raise Ended("sys.exit", code)

    monkeypatch.setattr(cli, "exit_now", exit_now)
    monkeypatch.setattr(sys, "exit", sys_exit)


def console(monkeypatch: pytest.MonkeyPatch, *argv: str) -> Ended:
    monkeypatch.setattr(sys, "argv", ["devnet", *argv])
    with pytest.raises(Ended) as ended:
        cli.console()
    return ended.value


def test_devnet_run_ends_at_once_with_its_exit_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endings: None
) -> None:
    missing = tmp_path / "missing.yml"
    ended = console(monkeypatch, "run", str(missing))
    assert (ended.how, ended.code) == ("exit_now", 2)  # a ConfigError: the file is missing


def test_other_commands_end_through_the_interpreter(
    monkeypatch: pytest.MonkeyPatch, endings: None
) -> None:
    ended = console(monkeypatch)
    assert (ended.how, ended.code) == ("sys.exit", 2)  # no command: the help
