"""Provides the snapshots of a data dir on disk: ``<data_dir>/snapshots/<name>/``.

Layout of one snapshot::

    manifest.json              what it holds (``manifest.py``), every file's SHA-256
    nodes/<node>/store/        the node's RocksDB checkpoint

A snapshot is written under a dot-name and renamed into place once whole, so a crash
leaves no half snapshot under its real name. Table files (``*.sst``) are immutable in
RocksDB, so they are hard-linked, not copied, between node stores and snapshots.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from calimero_devnet.cluster.snapshots.manifest import (
    MANIFEST_FILE,
    Manifest,
    check_name,
    manifest_from_json,
)
from calimero_devnet.errors import ConfigError

SNAPSHOTS = "snapshots"
CHUNK = 1 << 20


def snapshots_dir(data_dir: Path) -> Path:
    """Where the snapshots of ``data_dir`` live."""
    return data_dir / SNAPSHOTS


def snapshot_dir(data_dir: Path, name: str) -> Path:
    """The folder of snapshot ``name`` (the name checked)."""
    return snapshots_dir(data_dir) / check_name(name)


def store_path(node: str) -> str:
    """Where a node's store sits inside a snapshot."""
    return f"nodes/{node}/store"


@dataclass(frozen=True, slots=True)
class Listed:
    """One snapshot folder: its manifest, or why it cannot be read."""

    name: str
    manifest: Manifest | None
    problem: str | None = None


def list_snapshots(data_dir: Path) -> list[Listed]:
    """Every snapshot of ``data_dir``, by name (damaged ones with their problem)."""
    root = snapshots_dir(data_dir)
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue  # a save or import in progress (or left by a crash)
        try:
            found.append(Listed(folder.name, read_manifest(folder)))
        except ConfigError as exc:
            found.append(Listed(folder.name, None, str(exc)))
    return found


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the snapshot in ``folder``.

    Raises:
        ConfigError: no such snapshot, or its manifest is missing or damaged.
    """
    path = folder / MANIFEST_FILE
    if not folder.is_dir():
        known = ", ".join(s.name for s in list_snapshots(folder.parent.parent)) or "none"
        raise ConfigError(f"no snapshot named {folder.name!r} in {folder.parent} "
                          f"(snapshots: {known})")  # fmt: skip
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"snapshot {folder.name}: {MANIFEST_FILE} is missing") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"snapshot {folder.name}: {MANIFEST_FILE} is unreadable "
                          f"({exc})") from None  # fmt: skip
    return manifest_from_json(doc, f"snapshot {folder.name}")


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write ``manifest.json`` into ``folder``."""
    text = json.dumps(manifest.to_json(), indent=2, ensure_ascii=False)
    (folder / MANIFEST_FILE).write_text(text + "\n", encoding="utf-8")


def hash_files(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` but the manifest → its SHA-256."""
    return {
        path.relative_to(folder).as_posix(): file_sha256(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).as_posix() != MANIFEST_FILE
    }


def file_sha256(path: Path) -> str:
    """The SHA-256 of one file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(folder: Path, manifest: Manifest) -> None:
    """Check that every file the manifest lists is there with its checksum.

    Raises:
        ConfigError: naming the first files missing or changed.
    """
    missing, changed = [], []
    for rel, digest in sorted(manifest.files.items()):
        path = folder / rel
        if not path.is_file():
            missing.append(rel)
        elif file_sha256(path) != digest:
            changed.append(rel)
    if missing or changed:
        what = [f"{len(missing)} file(s) missing ({', '.join(missing[:3])})"] if missing else []
        what += [f"{len(changed)} file(s) damaged ({', '.join(changed[:3])})"] if changed else []
        raise ConfigError(f"snapshot {manifest.name} is damaged: {'; '.join(what)}. "
                          "Nothing was changed")  # fmt: skip


def remove(data_dir: Path, name: str) -> None:
    """Delete snapshot ``name``.

    Raises:
        ConfigError: there is no such snapshot.
    """
    folder = snapshot_dir(data_dir, name)
    if not folder.is_dir():
        read_manifest(folder)  # raises, naming the snapshots there are
    shutil.rmtree(folder)


def link_tree(source: Path, dest: Path) -> None:
    """Copy the directory ``source`` to ``dest``: table files hard-linked, the rest copied."""
    shutil.copytree(source, dest, copy_function=_link_or_copy)


def _link_or_copy(src: str, dst: str) -> None:
    if src.endswith(".sst"):
        try:
            os.link(src, dst)
            return
        except OSError:
            pass  # another file system, or links not allowed: copy instead
    shutil.copy2(src, dst)


def put_back(folder: Path, manifest: Manifest, homes: dict[str, Path]) -> None:
    """Replace each node's store in ``homes`` (node → home) by its copy in the snapshot.

    The nodes must be stopped. Each store is copied beside the old one first, so a failed
    copy leaves that node's store as it was.
    """
    for node in manifest.nodes:
        store = homes[node.name] / "store"
        incoming = store.with_name("store.restoring")
        if incoming.exists():
            shutil.rmtree(incoming)
        store.parent.mkdir(parents=True, exist_ok=True)
        link_tree(folder / store_path(node.name), incoming)
        os.chmod(incoming, 0o700)  # the node's private key lives inside
        if store.exists():
            shutil.rmtree(store)
        incoming.rename(store)
