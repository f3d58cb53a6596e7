"""Provides the manifest of a cluster snapshot (``manifest.json``) and the checks on it; pure.

A snapshot fits a cluster when it has the same node names, the same apps (by name and
kind) and the same contexts (by name and app). Each app's build may differ: the one the
cluster runs now is switched to on top, as after any redeploy.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from calimero_devnet.errors import ConfigError

FORMAT = 1
MANIFEST_FILE = "manifest.json"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_name(name: str) -> str:
    """``name`` if it can name a snapshot (a folder, a checkpoint): else ``ConfigError``."""
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"snapshot name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


@dataclass(frozen=True, slots=True)
class NodeImage:
    """One node in a snapshot: its key and, per context id, its DAG heads and root."""

    name: str
    public_key: str
    heads: Mapping[str, tuple[str, ...]]
    roots: Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class AppImage:
    """One app in a snapshot: the build the cluster ran when it was taken."""

    name: str
    app_id: str
    version: int
    kind: str


@dataclass(frozen=True, slots=True)
class ClusterShape:
    """What a snapshot must match: node names, app name → kind, context name → app."""

    nodes: tuple[str, ...]
    apps: Mapping[str, str]
    contexts: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Manifest:
    """Everything ``manifest.json`` says (``files``: path in the snapshot → SHA-256)."""

    name: str
    created: str
    devnet_version: str
    cluster: str
    nodes: tuple[NodeImage, ...]
    apps: tuple[AppImage, ...]
    contexts: Mapping[str, str]  # context name -> id (also those a workflow's steps made)
    context_apps: Mapping[str, str]  # context name -> app name, of the configured contexts
    generations: Mapping[str, int]
    files: Mapping[str, str] = field(default_factory=dict)

    @property
    def checksum(self) -> str:
        """SHA-256 over every file's path and checksum: one value naming the whole content."""
        return files_checksum(self.files)

    def shape(self) -> ClusterShape:
        """The cluster this snapshot was taken of."""
        return ClusterShape(
            tuple(node.name for node in self.nodes),
            {app.name: app.kind for app in self.apps},
            dict(self.context_apps),
        )

    def summary(self) -> dict[str, Any]:
        """The short JSON form commands print: no per-file checksums, no heads."""
        return {
            "name": self.name, "created": self.created, "devnetVersion": self.devnet_version,
            "cluster": self.cluster, "nodes": [node.name for node in self.nodes],
            "apps": [{"name": a.name, "appId": a.app_id, "version": a.version} for a in self.apps],
            "contexts": dict(self.contexts), "files": len(self.files), "checksum": self.checksum,
        }  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The ``manifest.json`` document."""
        return {
            "format": FORMAT, "name": self.name, "created": self.created,
            "devnetVersion": self.devnet_version, "cluster": self.cluster,
            "nodes": [{"name": n.name, "publicKey": n.public_key,
                       "contexts": {cid: {"heads": list(n.heads[cid]), "rootHash": n.roots[cid]}
                                    for cid in n.heads}} for n in self.nodes],
            "apps": [{"name": a.name, "appId": a.app_id, "version": a.version, "kind": a.kind}
                     for a in self.apps],
            "contexts": dict(self.contexts), "contextApps": dict(self.context_apps),
            "generations": dict(self.generations), "files": dict(self.files),
            "checksum": self.checksum,
        }  # fmt: skip


def files_checksum(files: Mapping[str, str]) -> str:
    """SHA-256 of the sorted ``path sha256`` lines."""
    listing = "".join(f"{path} {digest}\n" for path, digest in sorted(files.items()))
    return hashlib.sha256(listing.encode()).hexdigest()


def manifest_from_json(doc: Any, where: str) -> Manifest:
    """Read a ``manifest.json`` document strictly.

    Raises:
        ConfigError: it is not a manifest this devnet writes, or its checksum is wrong.
    """
    try:
        manifest = _read(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{where}: not a devnet snapshot manifest ({exc!r})") from None
    if doc.get("checksum") != manifest.checksum:
        raise ConfigError(f"{where}: the manifest's checksum does not match its file list "
                          "(the manifest is damaged)")  # fmt: skip
    return manifest


def _read(doc: Any) -> Manifest:
    if doc["format"] != FORMAT:
        raise ValueError(f"format {doc['format']!r}, this devnet reads {FORMAT}")
    nodes = tuple(
        NodeImage(_str(n["name"]), _str(n["publicKey"]),
                  {cid: tuple(map(_str, c["heads"])) for cid, c in n["contexts"].items()},
                  {cid: c["rootHash"] for cid, c in n["contexts"].items()})
        for n in doc["nodes"]
    )  # fmt: skip
    apps = tuple(
        AppImage(_str(a["name"]), _str(a["appId"]), int(a["version"]), _str(a["kind"]))
        for a in doc["apps"]
    )
    return Manifest(
        check_name(_str(doc["name"])), _str(doc["created"]), _str(doc["devnetVersion"]),
        _str(doc["cluster"]), nodes, apps,
        {name: _str(cid) for name, cid in doc["contexts"].items()},
        {name: _str(app) for name, app in doc["contextApps"].items()},
        {name: int(g) for name, g in doc["generations"].items()},
        {_relative(path): _str(digest) for path, digest in doc["files"].items()},
    )  # fmt: skip


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _relative(path: Any) -> str:
    """A file path inside the snapshot: relative, no ``..`` (an archive cannot point out)."""
    text = _str(path)
    if text.startswith("/") or ".." in text.split("/") or not text:
        raise ValueError(f"file path {text!r} leaves the snapshot")
    return text


def mismatches(snapshot: ClusterShape, cluster: ClusterShape) -> list[str]:
    """How a snapshot differs from the cluster it would be restored into (empty: it fits)."""
    found = []
    if snapshot.nodes != cluster.nodes:
        found.append(f"nodes {_names(snapshot.nodes)} in the snapshot, "
                     f"{_names(cluster.nodes)} in the cluster")  # fmt: skip
    if dict(snapshot.apps) != dict(cluster.apps):
        found.append(f"apps {_kinds(snapshot.apps)} in the snapshot, "
                     f"{_kinds(cluster.apps)} in the cluster")  # fmt: skip
    if dict(snapshot.contexts) != dict(cluster.contexts):
        found.append(f"contexts {_kinds(snapshot.contexts)} in the snapshot, "
                     f"{_kinds(cluster.contexts)} in the cluster")  # fmt: skip
    return found


def newer_builds(
    manifest: Manifest, running: Mapping[str, str], built_at: Mapping[str, float]
) -> list[str]:
    """Each app whose build in the snapshot is newer than the one running now (``running``:
    app → id; ``built_at``: app id → when this data dir first built it). A build this data
    dir never made (an imported snapshot's) cannot be told apart and passes."""
    found = []
    for app in manifest.apps:
        now = running.get(app.name)
        if not now or now == app.app_id:
            continue
        theirs, ours = built_at.get(app.app_id), built_at.get(now)
        if theirs is not None and ours is not None and theirs > ours:
            found.append(f"it holds {app.name} v{app.version} ({app.app_id[:8]}), a newer build "
                         f"than the one running now ({now[:8]})")  # fmt: skip
    return found


def refuse_if_unfit(manifest: Manifest, cluster: ClusterShape) -> None:
    """Raise ``ConfigError`` naming every difference when ``manifest`` does not fit."""
    found = mismatches(manifest.shape(), cluster)
    if found:
        raise ConfigError(f"snapshot {manifest.name} does not fit this cluster: "
                          f"{'; '.join(found)}. Nothing was changed")  # fmt: skip


def _names(names: tuple[str, ...]) -> str:
    return ",".join(names) or "(none)"


def _kinds(pairs: Mapping[str, str]) -> str:
    return ",".join(f"{k} ({v})" for k, v in sorted(pairs.items())) or "(none)"
