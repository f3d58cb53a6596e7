"""Provides moving a snapshot as one file: ``export`` to a gzipped tar, ``import_`` from one.

The archive holds one folder, the snapshot's name, with ``manifest.json`` and every file
it lists. Importing extracts into a hidden folder of ``<data_dir>/snapshots/``, checks the
manifest's checksum and every file's, and only then renames it into place, so a damaged
or foreign archive leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import secrets
import shutil
import tarfile
from pathlib import Path

from calimero_devnet.cluster.snapshots import folder as disk
from calimero_devnet.cluster.snapshots.manifest import MANIFEST_FILE, Manifest, check_name
from calimero_devnet.errors import ConfigError


def export(data_dir: Path, name: str, dest: Path) -> Manifest:
    """Write snapshot ``name`` of ``data_dir`` to the archive ``dest`` (checked first).

    Raises:
        ConfigError: no such snapshot, a damaged one, or ``dest`` cannot be written.
    """
    folder = disk.snapshot_dir(data_dir, name)
    manifest = disk.read_manifest(folder)
    disk.verify(folder, manifest)
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(folder / MANIFEST_FILE, arcname=f"{name}/{MANIFEST_FILE}")
            for rel in sorted(manifest.files):
                tar.add(folder / rel, arcname=f"{name}/{rel}", recursive=False)
        partial.replace(dest)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ConfigError(f"cannot write {dest}: {exc.strerror or exc}") from None
    return manifest


def import_(data_dir: Path, source: Path, name: str | None = None) -> Manifest:
    """Add the snapshot in archive ``source`` to ``data_dir`` (as ``name``, else its own).

    Raises:
        ConfigError: the file is no snapshot archive, is damaged, or the name is taken.
    """
    staging = disk.snapshots_dir(data_dir) / f".import-{secrets.token_hex(4)}"
    try:
        top = _extract(source, staging)
        manifest = disk.read_manifest(staging / top)
        disk.verify(staging / top, manifest)
        if name is not None and name != manifest.name:
            manifest = dataclasses.replace(manifest, name=check_name(name))
            disk.write_manifest(staging / top, manifest)
        final = disk.snapshot_dir(data_dir, manifest.name)
        if final.exists():
            raise ConfigError(f"snapshot {manifest.name} exists already: import it under "
                              "another name (--name NAME) or remove it first")  # fmt: skip
        (staging / top).rename(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _extract(source: Path, into: Path) -> str:
    """Extract the archive's one top folder into ``into``; return that folder's name."""
    try:
        with tarfile.open(source, "r:*") as tar:
            members = tar.getmembers()
            top = _top_folder(members, source)
            into.mkdir(parents=True)
            tar.extractall(into, filter="data")
    except FileNotFoundError:
        raise ConfigError(f"cannot import {source}: no such file") from None
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise ConfigError(f"cannot import {source}: not a snapshot archive, or damaged "
                          f"({exc})") from None  # fmt: skip
    return top


def _top_folder(members: list[tarfile.TarInfo], source: Path) -> str:
    """The one folder every member lies in; only plain files and folders are accepted."""
    tops = {member.name.split("/")[0] for member in members}
    unsafe = [m.name for m in members if not (m.isfile() or m.isdir())]
    if len(tops) != 1 or unsafe or not members:
        raise ConfigError(f"cannot import {source}: a snapshot archive holds one folder of "
                          "plain files (as `devnet snapshot export` writes)")  # fmt: skip
    top = tops.pop()
    check_name(top)
    return top
