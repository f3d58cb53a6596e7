"""Tests cache keys, ready stamps and the cross-process lock."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from calimero_devnet.errors import ToolchainError
from calimero_devnet.toolchain.cache import (
    CACHE_ENV,
    cache_root,
    content_key,
    locked,
    read_stamp,
    write_stamp,
)


def test_keys_depend_on_every_part_and_its_boundaries() -> None:
    assert content_key("a", "b") == content_key("a", "b")
    assert content_key("a", "b") != content_key("ab")
    assert content_key("a", "b") != content_key("b", "a")
    assert len(content_key("x")) == 16


def test_cache_root_honours_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, "/tmp/elsewhere")
    assert cache_root() == Path("/tmp/elsewhere")
    monkeypatch.delenv(CACHE_ENV)
    assert cache_root().parts[-2:] == ("calimero-devnet", "toolchain")


def test_stamps_mark_a_directory_ready(tmp_path: Path) -> None:
    assert read_stamp(tmp_path) is None
    write_stamp(tmp_path, {"v": 1})
    assert read_stamp(tmp_path) == {"v": 1}
    (tmp_path / "ready.json").write_text("not json")
    assert read_stamp(tmp_path) is None


def test_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with locked(tmp_path):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    try:
        with pytest.raises(ToolchainError, match="stayed locked"), locked(tmp_path, timeout=0.2):
            pass
    finally:
        release.set()
        thread.join()
    with locked(tmp_path, timeout=1):
        pass
