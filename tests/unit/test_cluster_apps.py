"""What ``Cluster.apps_info`` says of each app: the build running now and the ABI manifest
that very module carries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calimero_devnet.cluster.deploy.install import read_manifest
from calimero_devnet.cluster.deploy.rollout import AppVersion, Rollout
from calimero_devnet.config.load import load_config
from calimero_devnet.toolchain.manifest import SECTION, custom_section

HEADER = b"\0asm\x01\0\0\0"
GET = {"name": "get", "kind": "view", "returns": "string",
       "params": [{"name": "key", "type": "string", "optional": False}]}  # fmt: skip
MANIFEST = {"schema": SECTION, "app": "lib", "methods": [GET], "events": []}


def module(tmp_path: Path, name: str, *sections: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(HEADER + b"".join(sections))
    return path


def test_the_manifest_is_read_from_the_module_itself(tmp_path: Path) -> None:
    other = custom_section("name", b"\x00")  # another custom section first
    built = module(
        tmp_path, "a.wasm", other, custom_section(SECTION, json.dumps(MANIFEST).encode())
    )
    assert read_manifest(built) == MANIFEST
    assert read_manifest(module(tmp_path, "b.wasm")) is None  # not built by our toolchain


def test_an_unreadable_manifest_is_none_and_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert read_manifest(module(tmp_path, "c.wasm", custom_section(SECTION, b"{nope"))) is None
    assert read_manifest(tmp_path / "missing.wasm") is None
    assert read_manifest(module(tmp_path, "d.wasm", b"\x00\x7f")) is None  # cut short: none
    assert caplog.text.count("cannot read the ABI manifest") == 2


def test_apps_info_lists_the_running_build_of_each_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lib.wasm").write_bytes(HEADER)
    (tmp_path / "other.wasm").write_bytes(HEADER)
    toml = '[[apps]]\npath = "lib.wasm"\n[[apps]]\npath = "other.wasm"\n'
    (tmp_path / "devnet.toml").write_text(toml)
    config = load_config(tmp_path / "devnet.toml")
    rollout = Rollout(config, lambda event: None)
    assert rollout.apps_info() == []  # nothing deployed yet
    kept = tmp_path / "kept.wasm"
    rollout.current["lib"] = AppVersion("lib", "LibId2", 2, kept, MANIFEST)
    assert rollout.apps_info() == [
        {"name": "lib", "appId": "LibId2", "version": 2, "kind": "wasm",
         "path": str(tmp_path.resolve() / "lib.wasm"), "manifest": MANIFEST},
    ]  # fmt: skip
    rollout.current["other"] = AppVersion("other", "OtherId", 1, kept)
    assert [(app["name"], app["manifest"]) for app in rollout.apps_info()] == [
        ("lib", MANIFEST), ("other", None),
    ]  # fmt: skip
