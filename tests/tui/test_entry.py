"""Which entry opens the UI: ``devnet up`` on a terminal; the log otherwise; ``devnet tui``."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from calimero_devnet import cli
from calimero_devnet.cluster.commands.up import wants_tui
from calimero_devnet.tui.run import web_command


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("headless", "as_json", "tty", "ui"),
    [(False, False, True, True), (True, False, True, False), (False, True, True, False),
     (False, False, False, False)],
)  # fmt: skip
def test_up_opens_the_ui_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, headless: bool, as_json: bool, tty: bool, ui: bool
) -> None:
    stream = Tty() if tty else io.StringIO()
    monkeypatch.setattr("sys.stdout", stream)
    monkeypatch.setattr("sys.stdin", stream)
    namespace = argparse.Namespace(headless=headless, json=as_json)
    assert wants_tui(namespace) is ui


def test_devnet_tui_without_a_cluster_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["tui", "--data-dir", str(tmp_path)])
    assert code == 4
    assert "no cluster" in capsys.readouterr().err.lower()


def test_the_web_command_attaches_to_the_same_data_dir(tmp_path: Path) -> None:
    command = web_command(tmp_path)
    assert command.endswith(f"calimero_devnet.cli tui --data-dir {tmp_path}")
