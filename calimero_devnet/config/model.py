"""Provides the typed values ``devnet.toml`` resolves to (``DevnetConfig`` and its parts).

Every value here is checked and resolved: paths are absolute, ports are numbers (0 means
"a free one, picked at start"), references between sections point at things that exist.
The keys these come from are documented in ``config_schema``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

BrokerKind = Literal["embedded", "mosquitto", "external"]
AppKind = Literal["typescript", "wasm"]


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """``[cluster]``: the id shared by the nodes, where they keep data, how much they log."""

    name: str
    data_dir: Path
    log_level: str


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    """``[security]``: the bearer token (``"generate"``: a new one per ``devnet up``)."""

    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class NodeSettings:
    """One node: its name, index (keeps ``time_now`` values apart) and RPC port (0: any)."""

    name: str
    index: int
    rpc_port: int
    log_level: str


@dataclass(frozen=True, slots=True)
class BrokerSettings:
    """``[broker]``: which broker, its URL when external, its port when started (0: any)."""

    kind: BrokerKind
    url: str | None = None
    port: int = 0


@dataclass(frozen=True, slots=True)
class AppSettings:
    """One ``[[apps]]`` entry; ``bundled`` marks the default template (never watched)."""

    name: str
    path: Path
    kind: AppKind
    watch: bool
    bundled: bool = False
    snapshot: bool | None = None  # TypeScript apps: the VM snapshot (None: when it can)


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """``[build]``: whether a hot redeploy deploys a build that has type errors."""

    deploy_on_type_errors: bool = False


@dataclass(frozen=True, slots=True)
class ContextSettings:
    """One ``[[contexts]]`` entry; ``members[0]`` creates the context, the others join it."""

    name: str
    app: str
    init: dict[str, Any]
    members: tuple[str, ...]
    seed: str


@dataclass(frozen=True, slots=True)
class DevnetConfig:
    """Everything ``devnet up`` needs to start a cluster."""

    source: Path | None  # the devnet.toml read, or None for the defaults
    cluster: ClusterSettings
    nodes: tuple[NodeSettings, ...]
    broker: BrokerSettings
    apps: tuple[AppSettings, ...]
    contexts: tuple[ContextSettings, ...]
    fresh: bool = False  # wipe the data dir before starting
    build: BuildSettings = BuildSettings()
    security: SecuritySettings = SecuritySettings()
    from_snapshot: str | None = None  # put this snapshot's stores in place before starting

    def node(self, name: str) -> NodeSettings:
        """The node called ``name`` (``KeyError`` if none)."""
        return {node.name: node for node in self.nodes}[name]

    def app(self, name: str) -> AppSettings:
        """The app called ``name`` (``KeyError`` if none)."""
        return {app.name: app for app in self.apps}[name]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready view with paths as strings (``python -m calimero_devnet.config.load``)."""
        view: dict[str, Any] = json.loads(json.dumps(asdict(self), default=str))
        if self.security.token is not None:  # a secret is never printed
            view["security"]["token"] = "<set>"  # noqa: S105
        return view


@dataclass(frozen=True, slots=True)
class Overrides:
    """Command-line values that win over the file (``devnet up --nodes 5 …``)."""

    nodes: int | None = None  # --nodes N: the first N declared nodes, then node-K as needed
    broker: str | None = None  # --broker: "embedded", "mosquitto" or mqtt://HOST:PORT
    data_dir: Path | None = None  # --data-dir, relative to the current folder
    fresh: bool = False  # --fresh: start from an empty data dir
    from_snapshot: str | None = None  # --from-snapshot NAME: start from that snapshot
