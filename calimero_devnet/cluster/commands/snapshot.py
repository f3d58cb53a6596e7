"""Provides the handlers of ``devnet snapshot save|restore|list|rm|export|import``.

``save`` and ``restore`` act on a running cluster, so they go through its manager (the
control endpoint); ``list``, ``rm``, ``export`` and ``import`` only touch the files of
``<data_dir>/snapshots/`` and need no cluster running.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from calimero_devnet.cluster.commands.handlers import data_dir_of, emit
from calimero_devnet.cluster.remote import RemoteCluster
from calimero_devnet.cluster.snapshots import archive
from calimero_devnet.cluster.snapshots import folder as disk
from calimero_devnet.cluster.snapshots.manifest import check_name


def _line(summary: dict[str, Any]) -> str:
    contexts = ", ".join(f"{name} {cid[:8]}" for name, cid in summary["contexts"].items())
    apps = ", ".join(f"{app['name']} v{app['version']}" for app in summary["apps"])
    return (f"{len(summary['nodes'])} nodes ({', '.join(summary['nodes'])}); {apps}; "
            f"contexts {contexts or '(none)'}")  # fmt: skip


def run_save(args: argparse.Namespace) -> int:
    """``devnet snapshot save NAME``."""
    name = check_name(args.name)
    summary = asyncio.run(RemoteCluster.attach(data_dir_of(args)).save_snapshot(name))
    return emit(args, summary, f"snapshot {name} saved: {_line(summary)}")


def run_restore(args: argparse.Namespace) -> int:
    """``devnet snapshot restore NAME``: every node back to the snapshot, converged."""
    name = check_name(args.name)
    summary = asyncio.run(RemoteCluster.attach(data_dir_of(args)).restore_snapshot(name))
    return emit(args, summary, f"snapshot {name} restored, converged: {_line(summary)}")


def run_list(args: argparse.Namespace) -> int:
    """``devnet snapshot list``."""
    listed = disk.list_snapshots(data_dir_of(args))
    data = [s.manifest.summary() if s.manifest else {"name": s.name, "problem": s.problem}
            for s in listed]  # fmt: skip
    lines = [f"{s.name}  {s.manifest.created}  {_line(s.manifest.summary())}" if s.manifest
             else f"{s.name}  damaged: {s.problem}" for s in listed]  # fmt: skip
    return emit(args, data, "\n".join(lines) or "no snapshots")


def run_rm(args: argparse.Namespace) -> int:
    """``devnet snapshot rm NAME``."""
    disk.remove(data_dir_of(args), check_name(args.name))
    return emit(args, {"removed": args.name}, f"snapshot {args.name} removed")


def run_export(args: argparse.Namespace) -> int:
    """``devnet snapshot export NAME FILE``."""
    dest = Path(args.file).resolve()
    manifest = archive.export(data_dir_of(args), check_name(args.name), dest)
    data = manifest.summary() | {"file": str(dest)}
    return emit(args, data, f"snapshot {args.name} exported to {dest} (checksum "
                            f"{manifest.checksum[:16]}…)")  # fmt: skip


def run_import(args: argparse.Namespace) -> int:
    """``devnet snapshot import FILE [--name NAME]``: checked file by file first."""
    name = None if args.name is None else check_name(args.name)
    manifest = archive.import_(data_dir_of(args), Path(args.file).resolve(), name)
    summary = manifest.summary()
    return emit(args, summary, f"snapshot {manifest.name} imported, every checksum "
                               f"verified: {_line(summary)}")  # fmt: skip
