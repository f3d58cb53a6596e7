"""Cluster snapshots without a cluster: the fit check, damage found, archives, stores put back.

Snapshots here are folders of small files made by the test (no RocksDB); the refusal of a
restore is checked on a ``Cluster`` whose supervisor is a recording fake.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet.cluster.events import EventHub
from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.cluster.manager import open_cluster
from calimero_devnet.cluster.snapshots import archive, take
from calimero_devnet.cluster.snapshots import folder as disk
from calimero_devnet.cluster.snapshots.manifest import (
    AppImage,
    ClusterShape,
    Manifest,
    NodeImage,
    check_name,
    mismatches,
)
from calimero_devnet.config.load import load_config
from calimero_devnet.config.model import Overrides
from calimero_devnet.errors import ClusterError, ConfigError

NODES = ("node-1", "node-2", "node-3")
SHAPE = ClusterShape(NODES, {"kv-store": "typescript"}, {"kv-store": "kv-store"})


def make_snapshot(data_dir: Path, name: str, nodes: tuple[str, ...] = NODES) -> Path:
    """A snapshot folder of fake stores, with a true manifest; return its folder."""
    folder = disk.snapshots_dir(data_dir) / name
    for node in nodes:
        store = folder / disk.store_path(node)
        store.mkdir(parents=True)
        (store / "000009.sst").write_bytes(f"table of {node}".encode())
        (store / "CURRENT").write_text("MANIFEST-000005\n")
    images = tuple(NodeImage(n, f"key-{n}", {"ctx1": ("h1",)}, {"ctx1": "root"}) for n in nodes)
    manifest = Manifest(
        name, "2026-12-07T10:00:00Z", "0.1.0", "devnet", images,
        (AppImage("kv-store", "app1", 2, "typescript"),), {"kv-store": "ctx1"},
        {"kv-store": "kv-store"}, {"kv-store": 1}, disk.hash_files(folder),
    )  # fmt: skip
    disk.write_manifest(folder, manifest)
    return folder


def test_a_snapshot_fits_only_the_same_nodes_apps_and_contexts() -> None:
    assert mismatches(SHAPE, SHAPE) == []
    fewer = ClusterShape(NODES[:2], SHAPE.apps, SHAPE.contexts)
    renamed = ClusterShape(("a", "b", "c"), SHAPE.apps, SHAPE.contexts)
    other_kind = ClusterShape(NODES, {"kv-store": "wasm"}, SHAPE.contexts)
    other_app = ClusterShape(NODES, {"counter": "typescript"}, {"kv-store": "counter"})
    assert mismatches(fewer, SHAPE) == [
        "nodes node-1,node-2 in the snapshot, node-1,node-2,node-3 in the cluster"
    ]
    assert mismatches(renamed, SHAPE)[0].startswith("nodes a,b,c in the snapshot")
    assert mismatches(other_kind, SHAPE) == [
        "apps kv-store (wasm) in the snapshot, kv-store (typescript) in the cluster"
    ]
    assert len(mismatches(other_app, SHAPE)) == 2  # the app, and the context's app


@pytest.mark.parametrize("name", ["", ".hidden", "../up", "a/b", "x" * 65, "sp ace"])
def test_a_snapshot_name_is_one_plain_folder_name(name: str) -> None:
    with pytest.raises(ConfigError, match="use 1-64 letters"):
        check_name(name)


def test_a_whole_snapshot_reads_back_as_written(tmp_path: Path) -> None:
    folder = make_snapshot(tmp_path, "s1")
    manifest = disk.read_manifest(folder)
    disk.verify(folder, manifest)
    assert manifest.shape() == SHAPE
    assert sorted(manifest.files) == sorted(
        f"nodes/{n}/store/{f}" for n in NODES for f in ("000009.sst", "CURRENT")
    )
    assert [s.name for s in disk.list_snapshots(tmp_path)] == ["s1"]


def test_a_missing_or_changed_file_is_found_and_named(tmp_path: Path) -> None:
    folder = make_snapshot(tmp_path, "s1")
    manifest = disk.read_manifest(folder)
    (folder / "nodes/node-2/store/CURRENT").write_text("MANIFEST-000006\n")
    (folder / "nodes/node-3/store/000009.sst").unlink()
    with pytest.raises(ConfigError) as caught:
        disk.verify(folder, manifest)
    assert str(caught.value) == (
        "snapshot s1 is damaged: 1 file(s) missing (nodes/node-3/store/000009.sst); "
        "1 file(s) damaged (nodes/node-2/store/CURRENT). Nothing was changed"
    )


def test_a_damaged_manifest_is_refused_and_listed_as_damaged(tmp_path: Path) -> None:
    folder = make_snapshot(tmp_path, "s1")
    doc = json.loads((folder / "manifest.json").read_text())
    doc["files"].pop("nodes/node-1/store/CURRENT")  # a file list that lost a line
    (folder / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="checksum does not match its file list"):
        disk.read_manifest(folder)
    make_snapshot(tmp_path, "s2")
    (disk.snapshots_dir(tmp_path) / "s2" / "manifest.json").unlink()
    (disk.snapshots_dir(tmp_path) / ".s3.partial").mkdir()  # a save in progress: not listed
    listed = disk.list_snapshots(tmp_path)
    assert [(s.name, s.manifest) for s in listed] == [("s1", None), ("s2", None)]
    assert "manifest.json is missing" in str(listed[1].problem)


def facts(data_dir: Path, nodes: tuple[str, ...] = NODES) -> take.ClusterFacts:
    homes = {n: data_dir / "nodes" / n for n in nodes}
    return take.ClusterFacts("devnet", data_dir, homes,
                             (AppImage("kv-store", "app2", 3, "typescript"),),
                             {"kv-store": "ctx1"}, {"kv-store": "kv-store"}, {})  # fmt: skip


def test_checking_refuses_another_shape_before_reading_any_file(tmp_path: Path) -> None:
    folder = make_snapshot(tmp_path, "s1")
    (folder / "nodes/node-1/store/CURRENT").unlink()  # damaged too, but the shape is said
    with pytest.raises(ConfigError, match="does not fit this cluster: nodes node-1,node-2,node-3"):
        take.checked("s1", facts(tmp_path, NODES[:2]))
    with pytest.raises(ConfigError, match="is damaged"):
        take.checked("s1", facts(tmp_path))
    with pytest.raises(ConfigError, match=r"no snapshot named 'nope' .* \(snapshots: s1\)"):
        take.checked("nope", facts(tmp_path))


def keep_build(data_dir: Path, app_id: str, when: float) -> None:
    """A build of kv-store this data dir made at ``when`` (as the rollout keeps each)."""
    kept = data_dir / "apps" / "kv-store" / "deployed" / f"{app_id}.wasm"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(b"\0asm")
    os.utime(kept, (when, when))


def test_a_snapshot_of_a_newer_build_than_the_running_one_is_refused(tmp_path: Path) -> None:
    make_snapshot(tmp_path, "s1")  # taken with app1; app2 runs now (facts)
    take.checked("s1", facts(tmp_path))  # app1 never built here (imported): it passes
    keep_build(tmp_path, "app2", 1_000)
    keep_build(tmp_path, "app1", 500)
    take.checked("s1", facts(tmp_path))  # the running build is the newer one: on top
    keep_build(tmp_path, "app1", 2_000)
    with pytest.raises(ConfigError) as caught:
        take.checked("s1", facts(tmp_path))
    assert str(caught.value) == (
        "snapshot s1 cannot go back under the app builds running now: it holds kv-store v2 "
        "(app1), a newer build than the one running now (app2). Rebuild the newer code first "
        "(nothing was changed)"
    )


class CheckpointingNode:
    """A node client that writes its checkpoint into its home after ``delay``, or refuses."""

    def __init__(self, name: str, home: Path, delay: float, refuse: bool = False) -> None:
        self.name, self.home, self.delay, self.refuse = name, home, delay, refuse
        self.answered = asyncio.Event()

    async def admin(self, verb: str, path: str, body: dict[str, str]) -> dict[str, Any]:
        await asyncio.sleep(self.delay)
        if self.refuse:
            raise ClusterError(f"{self.name}: {verb} /admin-api/{path}: disk full")
        folder = self.home / "checkpoints" / body["name"]
        folder.mkdir(parents=True)
        (folder / "CURRENT").write_text("MANIFEST-000001\n")
        self.answered.set()
        return {"publicKey": "key", "contexts": []}


async def test_a_save_that_a_node_refuses_leaves_no_snapshot_and_no_copy(tmp_path: Path) -> None:
    known = facts(tmp_path)
    clients = {name: CheckpointingNode(name, home, delay=0.1 * i, refuse=name == "node-1")
               for i, (name, home) in enumerate(known.homes.items())}  # fmt: skip
    with pytest.raises(ClusterError, match="node-1: POST /admin-api/checkpoint: disk full"):
        await take.save("s1", known, clients)  # type: ignore[arg-type]
    async with asyncio.timeout(5):  # the slower nodes have answered too (now or after)
        for client in list(clients.values())[1:]:
            await client.answered.wait()
        await asyncio.sleep(0)  # and what followed their answer has run
    assert list(disk.snapshots_dir(tmp_path).glob("*")) == []  # not even a partial folder
    assert [p for home in known.homes.values() for p in home.glob("checkpoints/*")] == []


class RecordingSupervisor:
    """A supervisor with no node, remembering whether anything was stopped."""

    def __init__(self) -> None:
        self.nodes: dict[str, Any] = {}
        self.stopped = False

    def __getitem__(self, name: str) -> Any:
        return self.nodes[name]

    async def stop_all(self, *_: Any, **__: Any) -> None:
        self.stopped = True


async def test_a_restore_that_does_not_fit_stops_no_node(tmp_path: Path) -> None:
    config = load_config(None, Overrides(nodes=2, data_dir=tmp_path))
    make_snapshot(tmp_path, "three")  # taken of three nodes
    supervisor = RecordingSupervisor()
    cluster = Cluster(config, EventHub(None), supervisor, "mqtt://127.0.0.1:1")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="does not fit this cluster"):
        await cluster.restore_snapshot("three")
    assert not supervisor.stopped


class StoppedNode:
    """A node process that only remembers being started."""

    ready = url = pid = returncode = None
    running = False

    def __init__(self) -> None:
        self.started = False

    async def start(self) -> None:
        self.started = True

    async def wait_ready(self) -> None:
        pass


async def test_a_restore_whose_copy_fails_starts_every_node_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(None, Overrides(nodes=3, data_dir=tmp_path))
    make_snapshot(tmp_path, "fits")
    supervisor = RecordingSupervisor()
    supervisor.nodes = {name: StoppedNode() for name in NODES}

    def disk_full(*_: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(disk, "put_back", disk_full)
    cluster = Cluster(config, EventHub(None), supervisor, "mqtt://127.0.0.1:1")  # type: ignore[arg-type]
    with pytest.raises(OSError, match="No space left"):
        await cluster.restore_snapshot("fits")
    assert supervisor.stopped
    assert all(node.started for node in supervisor.nodes.values())


async def test_up_from_a_bad_snapshot_refuses_before_fresh_wipes_anything(tmp_path: Path) -> None:
    kept = tmp_path / "nodes" / "node-1" / "store" / "CURRENT"
    kept.parent.mkdir(parents=True)
    kept.write_text("MANIFEST-000001\n")
    make_snapshot(tmp_path, "two", NODES[:2])
    for name, error in (("nope", "no snapshot named 'nope'"), ("two", "does not fit")):
        config = load_config(None, Overrides(nodes=3, data_dir=tmp_path, fresh=True,
                                             from_snapshot=name))  # fmt: skip
        with pytest.raises(ConfigError, match=error):
            async with open_cluster(config, control=False):
                pytest.fail("the cluster came up")
        assert kept.is_file()


def test_an_exported_snapshot_imports_whole_under_its_name_or_another(tmp_path: Path) -> None:
    make_snapshot(tmp_path / "here", "s1")
    file = tmp_path / "s1.tar.gz"
    exported = archive.export(tmp_path / "here", "s1", file)
    there = tmp_path / "there"

    imported = archive.import_(there, file)
    again = archive.import_(there, file, "copy")

    assert imported == exported
    assert (again.name, again.files, again.checksum) == ("copy", exported.files, exported.checksum)
    assert disk.read_manifest(disk.snapshot_dir(there, "copy")).name == "copy"
    with pytest.raises(ConfigError, match="snapshot s1 exists already"):
        archive.import_(there, file)
    assert sorted(p.name for p in disk.snapshots_dir(there).iterdir()) == ["copy", "s1"]


def tar_of(members: dict[str, bytes], link: str | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if link is not None:
            info = tarfile.TarInfo(link)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a tar at all", "not a snapshot archive, or damaged"),
        (tar_of({"a/manifest.json": b"{}", "b/x": b""}), "holds one folder of plain files"),
        (tar_of({"s/manifest.json": b"{}"}, link="s/link"), "holds one folder of plain files"),
        (tar_of({"s/manifest.json": b"{}"}), "not a devnet snapshot manifest"),
    ],
    ids=["not-a-tar", "two-folders", "a-symlink", "no-manifest-fields"],
)
def test_an_archive_that_is_no_whole_snapshot_leaves_nothing(
    tmp_path: Path, content: bytes, message: str
) -> None:
    file = tmp_path / "bad.tar.gz"
    file.write_bytes(content)
    with pytest.raises(ConfigError, match=message):
        archive.import_(tmp_path / "data", file)
    assert list(disk.snapshots_dir(tmp_path / "data").glob("*")) == []  # not even hidden


def test_an_archive_with_a_damaged_file_is_refused(tmp_path: Path) -> None:
    make_snapshot(tmp_path / "here", "s1")
    file = tmp_path / "s1.tar.gz"
    archive.export(tmp_path / "here", "s1", file)
    with tarfile.open(file) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    members["s1/nodes/node-1/store/CURRENT"] = b"changed on the way\n"
    file.write_bytes(tar_of(members))
    with pytest.raises(ConfigError, match="snapshot s1 is damaged: 1 file"):
        archive.import_(tmp_path / "there", file)
    assert disk.list_snapshots(tmp_path / "there") == []


def test_putting_back_replaces_each_store_and_links_its_tables(tmp_path: Path) -> None:
    folder = make_snapshot(tmp_path, "s1")
    homes = {n: tmp_path / "nodes" / n for n in NODES}
    (homes["node-1"] / "store").mkdir(parents=True)
    (homes["node-1"] / "store" / "000042.sst").write_bytes(b"a later table")
    disk.put_back(folder, disk.read_manifest(folder), homes)
    for node, home in homes.items():
        store = home / "store"
        assert sorted(p.name for p in store.iterdir()) == ["000009.sst", "CURRENT"]
        assert stat.S_IMODE(store.stat().st_mode) == 0o700
        linked = os.stat(folder / disk.store_path(node) / "000009.sst").st_ino
        assert (store / "000009.sst").stat().st_ino == linked  # a link, not a copy
