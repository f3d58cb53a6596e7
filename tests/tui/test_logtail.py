"""LogTail: complete new lines only, truncation, bounded reads, levels."""

from __future__ import annotations

from pathlib import Path

from calimero_devnet.tui import logtail
from calimero_devnet.tui.logtail import LogTail, level_of


def test_new_complete_lines_only(tmp_path: Path) -> None:
    log = tmp_path / "node.log"
    log.write_text("")
    tail = LogTail({"node-1": log})
    assert tail.read() == []
    with log.open("a") as file:
        file.write("one\ntw")
    assert tail.read() == [("node-1", "one")]
    with log.open("a") as file:
        file.write("o\n")
    assert tail.read() == [("node-1", "two")]


def test_a_missing_file_is_waited_for_and_a_truncated_one_reread(tmp_path: Path) -> None:
    log = tmp_path / "node.log"
    tail = LogTail({"n": log})
    assert tail.read() == []
    log.write_text("first line here\n")
    assert tail.read() == [("n", "first line here")]
    log.write_text("new\n")
    assert tail.read() == [("n", "new")]


def test_a_flood_is_read_in_bounded_steps(tmp_path: Path, monkeypatch: object) -> None:
    log = tmp_path / "node.log"
    log.write_text("")
    tail = LogTail({"n": log})
    tail.read()
    log.write_text("x" * 99 + "\n" * 1)
    big = ("y" * 99 + "\n") * (logtail.MAX_BYTES // 100 + 50)
    with log.open("a") as file:
        file.write(big)
    first = tail.read()
    assert 0 < len(first) <= logtail.MAX_BYTES // 100
    assert len(first) + len(tail.read()) == big.count("\n") + 1


def test_levels_are_read_from_the_node_log_format() -> None:
    assert level_of("2026-12-07 08:00:00,123 WARNING node-1 calimero: slow") == "warning"
    assert level_of("08:00:00 ERROR node-1 x: boom") == "error"
    assert level_of("Traceback (most recent call last):") == "error"
    assert level_of("plain") == "info"


def test_a_long_log_is_joined_at_a_line_start_near_its_end(tmp_path: Path) -> None:
    log = tmp_path / "node.log"
    log.write_text("".join(f"line {i:06d}\n" for i in range(10_000)))
    lines = LogTail({"n": log}).read()
    assert lines[-1] == ("n", "line 009999")
    assert all(text.startswith("line ") and len(text) == 11 for _, text in lines)
    assert len(lines) < 10_000
