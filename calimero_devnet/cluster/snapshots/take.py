"""Provides saving a running cluster into a snapshot and checking one before a restore.

Save: every node checkpoints its store on its core thread (``POST /admin-api/checkpoint``),
so each copy falls between two commits and comes with the heads and root it holds; the
manager moves the checkpoints out of the node homes into the snapshot, hashes every file
and writes the manifest. The nodes copy at the same time but each on its own, not at one
instant: the snapshot is consistent per node, and nodes that were still exchanging deltas
converge again after a restore, as after any restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calimero_devnet import __version__
from calimero_devnet.cluster.deploy.generations import save_generations
from calimero_devnet.cluster.nodeclient import NodeClient
from calimero_devnet.cluster.processes.supervisor import node_home
from calimero_devnet.cluster.snapshots import folder as disk
from calimero_devnet.cluster.snapshots.manifest import (
    AppImage,
    ClusterShape,
    Manifest,
    NodeImage,
    check_name,
    newer_builds,
    refuse_if_unfit,
)
from calimero_devnet.config.model import DevnetConfig
from calimero_devnet.errors import ClusterError, ConfigError


@dataclass(frozen=True, slots=True)
class ClusterFacts:
    """What the manager knows that a snapshot records beside the stores."""

    cluster_id: str
    data_dir: Path
    homes: Mapping[str, Path]  # node name -> its home, in config order
    apps: tuple[AppImage, ...]
    contexts: Mapping[str, str]  # context name -> id
    context_apps: Mapping[str, str]  # context name -> app name
    generations: Mapping[str, int]

    def shape(self) -> ClusterShape:
        """The node names, app kinds and context apps a snapshot must match."""
        return ClusterShape(tuple(self.homes), {a.name: a.kind for a in self.apps},
                            dict(self.context_apps))  # fmt: skip


def facts_of(
    config: DevnetConfig, running: Mapping[str, tuple[str, int]], contexts: Mapping[str, str],
    generations: Mapping[str, int],
) -> ClusterFacts:  # fmt: skip
    """The facts of the cluster ``config`` describes (``running``: app → its id and version
    now; empty before the first build, when only the shape matters)."""
    data_dir = config.cluster.data_dir
    apps = tuple(AppImage(app.name, *running.get(app.name, ("", 0)), app.kind)
                 for app in config.apps)  # fmt: skip
    return ClusterFacts(
        config.cluster.name, data_dir, {n.name: node_home(data_dir, n.name) for n in config.nodes},
        apps, dict(contexts), {c.name: c.app for c in config.contexts}, dict(generations),
    )  # fmt: skip


async def save(name: str, facts: ClusterFacts, clients: Mapping[str, NodeClient]) -> Manifest:
    """Snapshot every node of a running cluster as ``name``.

    Raises:
        ConfigError: a bad name, or a snapshot of that name exists.
        ClusterError: a node is not running, or refused the checkpoint (nothing is kept).
    """
    final = disk.snapshot_dir(facts.data_dir, check_name(name))
    if final.exists():
        raise ConfigError(f"snapshot {name} exists already: `devnet snapshot rm {name}` first, "
                          "or pick another name")  # fmt: skip
    down = [node for node in facts.homes if node not in clients]
    if down:
        raise ClusterError(f"{', '.join(down)} not running: a snapshot holds every node; "
                           "start it first")  # fmt: skip
    token = f"{name}.{secrets.token_hex(4)}"
    partial = final.with_name(f".{name}.partial")
    await asyncio.to_thread(_fresh_dir, partial)
    try:
        homes = facts.homes.items()
        # Every node finishes (or fails) before a failure cleans up, so no late copy lands.
        results = await asyncio.gather(
            *(_checkpoint(clients[node], token, home, partial) for node, home in homes),
            return_exceptions=True,
        )
        failed = [result for result in results if isinstance(result, BaseException)]
        if failed:
            raise failed[0]
        images = [result for result in results if isinstance(result, NodeImage)]
        files = await asyncio.to_thread(disk.hash_files, partial)
        manifest = Manifest(
            name, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), __version__,
            facts.cluster_id, tuple(images), facts.apps, dict(facts.contexts),
            dict(facts.context_apps), dict(facts.generations), files,
        )  # fmt: skip
        await asyncio.to_thread(disk.write_manifest, partial, manifest)
        partial.rename(final)
    except BaseException:
        await asyncio.to_thread(_clean_up, partial, facts.homes.values(), token)
        raise
    return manifest


async def _checkpoint(client: NodeClient, token: str, home: Path, into: Path) -> NodeImage:
    """Have ``client`` checkpoint its store and move the copy into the snapshot."""
    answer: dict[str, Any] = await client.admin("POST", "checkpoint", {"name": token})
    target = into / disk.store_path(client.name)
    target.parent.mkdir(parents=True)
    # The node says where it wrote; only its own home is trusted as the place to move from.
    (home / "checkpoints" / token).rename(target)
    contexts = answer["contexts"]
    return NodeImage(
        client.name, str(answer["publicKey"]),
        {c["id"]: tuple(c["dagHeads"]) for c in contexts},
        {c["id"]: c["rootHash"] for c in contexts},
    )  # fmt: skip


def _fresh_dir(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)  # left by a save that crashed
    path.mkdir(parents=True)


def _clean_up(partial: Path, homes: Iterable[Path], token: str) -> None:
    shutil.rmtree(partial, ignore_errors=True)
    for home in homes:
        shutil.rmtree(home / "checkpoints" / token, ignore_errors=True)


def checked(name: str, facts: ClusterFacts) -> tuple[Path, Manifest]:
    """The folder and manifest of snapshot ``name``, once it is known to fit the cluster of
    ``facts`` and every file is whole (blocking: reads every file).

    Raises:
        ConfigError: no such snapshot, one of another cluster's shape, or a damaged one.
    """
    folder = disk.snapshot_dir(facts.data_dir, name)
    manifest = disk.read_manifest(folder)
    refuse_if_unfit(manifest, facts.shape())
    running = {app.name: app.app_id for app in facts.apps if app.app_id}
    newer = newer_builds(manifest, running, _built_at(facts.data_dir, manifest, running))
    if newer:
        raise ConfigError(f"snapshot {name} cannot go back under the app builds running now: "
                          f"{'; '.join(newer)}. Rebuild the newer code first (nothing was "
                          "changed)")  # fmt: skip
    disk.verify(folder, manifest)
    return folder, manifest


def _built_at(data_dir: Path, manifest: Manifest, running: Mapping[str, str]) -> dict[str, float]:
    """App id → when this data dir first built it (the kept ``deployed/<id>.wasm``)."""
    found = {}
    for app in manifest.apps:
        for app_id in {app.app_id, running.get(app.name, "")} - {""}:
            kept = data_dir / "apps" / app.name / "deployed" / f"{app_id}.wasm"
            with contextlib.suppress(OSError):
                found[app_id] = kept.stat().st_mtime
    return found


def checked_for(config: DevnetConfig, name: str) -> tuple[Path, Manifest]:
    """``checked`` against the cluster ``config`` describes, before it starts (blocking).

    Raises:
        ConfigError: no such snapshot, one that does not fit ``config``, or a damaged one.
    """
    return checked(name, facts_of(config, {}, {}, {}))


def put_back_snapshot(config: DevnetConfig, folder: Path, manifest: Manifest) -> None:
    """Before the nodes of ``config`` start: put the stores and context generations of a
    checked snapshot in place (``devnet up --from-snapshot``); blocking."""
    facts = facts_of(config, {}, {}, {})
    disk.put_back(folder, manifest, dict(facts.homes))
    save_generations(facts.data_dir, dict(manifest.generations))
