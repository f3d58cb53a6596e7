"""Provides ``NodeConfig``: everything one node process is started with.

Its own module, below both the service and the replicator that read it, and free of
aiohttp, so the node's argument parsing stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAX_BODY_BYTES = 16 * 1024 * 1024  # the largest HTTP request body a node reads


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """Everything one node process is started with."""

    home: Path
    rpc_port: int = 0
    module_cache: Path | None = None  # compiled modules; None: <home>/wasm-cache
    name: str = "node"
    index: int | None = None
    host: str = "127.0.0.1"
    broker: str | None = field(default=None, repr=False)  # may hold the broker's password
    join: bool = False  # started by --join: on another machine than the cluster's manager
    advertise: str | None = None  # the host or URL announced in the presence (default: host)
    cluster: str = "devnet"  # the bus topic prefix devnet/<cluster>/ shared by the nodes
    shutdown_timeout: float = 10.0
    max_body: int = MAX_BODY_BYTES  # larger JSON-RPC and admin bodies: 413, unparsed
    access_log: bool = False
    manager_pid: int | None = None  # the devnet manager that started it (manager_watch.py)
    token: str | None = field(default=None, repr=False)  # the bearer token clients must send
