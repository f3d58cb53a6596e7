"""Provides ``cluster.json``: what a running manager tells other ``devnet`` commands.

``devnet up`` writes it into the data dir (atomically, on every change: a reader never sees
half a file); ``devnet status/call/down`` read it with ``read_state``. A file whose manager
is gone (stale) reads as "no cluster running", never as a cluster to talk to.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from calimero_devnet.errors import ClusterError
from calimero_devnet.procstat import is_zombie, start_time, stat_fields

STATE_FILE = "cluster.json"
FORMAT = 1  # bump on incompatible changes; readers refuse newer formats


@dataclass(frozen=True, slots=True)
class NodeState:
    """One node as the manager last saw it (``pid``/``rpc_url`` are None while it is down)."""

    name: str
    home: Path
    pid: int | None = None
    rpc_url: str | None = None
    public_key: str | None = None
    remote: str | None = None  # the machine of a node that joined from elsewhere (no pid)


@dataclass(frozen=True, slots=True)
class ClusterState:
    """A running cluster: its manager, broker, nodes, and the ids of its apps and contexts."""

    cluster_id: str
    manager_pid: int
    data_dir: Path
    broker_url: str | None
    nodes: tuple[NodeState, ...] = ()
    apps: dict[str, str] = field(default_factory=dict)  # app name -> application id
    contexts: dict[str, str] = field(default_factory=dict)  # context name -> context id
    manager_started: int | None = None  # the manager's start time (Linux /proc), against pid reuse
    control_url: str | None = (
        None  # the manager's loopback control endpoint (cluster/control/endpoint.py)
    )
    token: str | None = field(default=None, repr=False)  # [security] token: the file is 0600

    @classmethod
    def for_this_manager(
        cls, cluster_id: str, data_dir: Path, broker_url: str | None
    ) -> ClusterState:
        """The state of a cluster this process manages (pid and start time filled in)."""
        pid = os.getpid()
        return cls(cluster_id, pid, data_dir, broker_url, manager_started=process_started(pid))

    def manager_alive(self) -> bool:
        """Whether the manager that wrote this state still runs."""
        return manager_alive(self.manager_pid, self.manager_started)

    def node(self, name: str) -> NodeState:
        """The node called ``name``; ``ClusterError`` naming the known ones otherwise."""
        found = next((node for node in self.nodes if node.name == name), None)
        if found is None:
            known = ", ".join(node.name for node in self.nodes)
            raise ClusterError(f"no node named {name!r} in cluster {self.cluster_id} ({known})")
        return found

    def with_node(self, node: NodeState) -> ClusterState:
        """A copy with ``node`` replacing the node of the same name (or added)."""
        if any(old.name == node.name for old in self.nodes):
            return replace(
                self, nodes=tuple(node if o.name == node.name else o for o in self.nodes)
            )
        return replace(self, nodes=(*self.nodes, node))

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to ``cluster.json``."""
        nodes = [
            {"name": n.name, "home": str(n.home), "pid": n.pid, "rpcUrl": n.rpc_url,
             "publicKey": n.public_key, "remote": n.remote}
            for n in self.nodes
        ]  # fmt: skip
        return {
            "format": FORMAT, "clusterId": self.cluster_id, "managerPid": self.manager_pid,
            "managerStarted": self.manager_started, "dataDir": str(self.data_dir),
            "brokerUrl": self.broker_url, "nodes": nodes, "apps": self.apps,
            "contexts": self.contexts, "controlUrl": self.control_url, "token": self.token,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClusterState:
        """Parse what ``to_json`` wrote (``KeyError``/``TypeError``/``ValueError`` if it is not)."""
        nodes = tuple(
            NodeState(
                str(n["name"]),
                Path(n["home"]),
                n["pid"],
                n["rpcUrl"],
                n["publicKey"],
                n.get("remote"),
            )
            for n in data["nodes"]
        )
        return cls(
            str(data["clusterId"]), int(data["managerPid"]), Path(data["dataDir"]),
            data["brokerUrl"], nodes, dict(data["apps"]), dict(data["contexts"]),
            data.get("managerStarted"), data.get("controlUrl"), data.get("token"),
        )  # fmt: skip


def state_path(data_dir: Path) -> Path:
    """Where the state file of ``data_dir`` lives."""
    return data_dir / STATE_FILE


def write_state(state: ClusterState) -> Path:
    """Write ``state`` into its data dir atomically (temp file, fsync, rename); return the path."""
    path = state_path(state.data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(state.to_json(), indent=2) + "\n"
    fd, temp = tempfile.mkstemp(prefix=f".{STATE_FILE}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        # mkstemp makes it 0600: kept so when it holds the token, else other users may read it
        os.chmod(temp, 0o600 if state.token is not None else 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def read_state(data_dir: Path, *, stale_ok: bool = False) -> ClusterState:
    """The running cluster of ``data_dir`` (with ``stale_ok``, also one whose manager is gone:
    its nodes may serve on; ``stale_error`` says it when they do not).

    Raises:
        ClusterError: no state file, a stale one (its manager is gone), or an unreadable one;
            the message says which and what to do.
    """
    path = state_path(data_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClusterError(
            f"no cluster running in {data_dir} (no {STATE_FILE}): start one with `devnet up`"
        ) from None
    except (OSError, ValueError) as exc:
        raise _unreadable(path, str(exc)) from exc
    state = _parse(path, data)
    if not stale_ok and not state.manager_alive():
        raise stale_error(data_dir, state.manager_pid)
    return state


def stale_error(data_dir: Path, manager_pid: int) -> ClusterError:
    """What to say of a state file whose manager is gone (and whose nodes are too)."""
    return ClusterError(
        f"no cluster running in {data_dir} (stale state file from pid {manager_pid}): "
        "start one with `devnet up`"
    )


def running_state(data_dir: Path) -> ClusterState | None:
    """The running cluster of ``data_dir``, or None when there is none (or only a stale file)."""
    if not state_path(data_dir).exists():
        return None
    try:
        return read_state(data_dir)
    except ClusterError as exc:
        if "no cluster running" in str(exc):
            return None
        raise


def remove_state(data_dir: Path, manager_pid: int | None = None) -> bool:
    """Delete the state file (only if ``manager_pid`` wrote it, when given); True if removed."""
    path = state_path(data_dir)
    if manager_pid is not None:
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("managerPid") != manager_pid:
                return False
        except (OSError, ValueError, AttributeError):
            return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _parse(path: Path, data: Any) -> ClusterState:
    if not isinstance(data, dict):
        raise _unreadable(path, "not a JSON object")
    if not isinstance(data.get("format"), int) or data["format"] > FORMAT:
        raise _unreadable(path, f"format {data.get('format')!r}; this devnet reads {FORMAT}")
    try:
        return ClusterState.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise _unreadable(path, f"{type(exc).__name__}: {exc}") from exc


def _unreadable(path: Path, why: str) -> ClusterError:
    return ClusterError(
        f"{path} is not a devnet state file ({why}): stop the cluster's manager if one "
        "runs, then remove the file"
    )


def process_started(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), or None if unknown."""
    return start_time(stat_fields(pid))


def manager_alive(pid: int, started: int | None = None) -> bool:
    """Whether ``pid`` runs and, when ``started`` is known, is still the same process."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another user
    fields = stat_fields(pid)
    if is_zombie(fields):
        return False  # exited, not yet reaped by its parent
    now = start_time(fields)
    return started is None or now is None or now == started
