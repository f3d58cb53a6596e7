"""Provides ``RemoteCluster``: a cluster another process manages, found through ``cluster.json``.

Reads go to the nodes (``ClusterAccess``); node lifecycle, network rules and redeploys are
asked of the manager's control endpoint (``control/endpoint.py``), whose errors come back
as the same error classes, so exit codes match those of the manager's own commands. The
manager's events arrive over the endpoint's stream (``events``, ``control/stream.py``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from calimero_devnet import errors
from calimero_devnet.cluster.access import ClusterAccess
from calimero_devnet.cluster.events import ClusterEvent, Problem
from calimero_devnet.cluster.events_json import DROPPED, HEARTBEAT, event_from_json
from calimero_devnet.cluster.nodeclient import JSON_HEADERS, http_client, json_body
from calimero_devnet.cluster.processes import orphans
from calimero_devnet.cluster.processes.statefile import (
    ClusterState,
    manager_alive,
    read_state,
    stale_error,
)
from calimero_devnet.cluster.status import NodeRef
from calimero_devnet.errors import ClusterError, DevnetError

log = logging.getLogger(__name__)
CONTROL_TIMEOUT_S = 120.0  # a restart waits for the node to be ready; a redeploy builds
CONNECT_TIMEOUT_S = 5.0
STALL_S = 6.0  # three heartbeats (control/stream.py) missed: the manager is not answering


def pid_alive(pid: int | None) -> bool:
    """Whether a process ``pid`` runs (a zombie does not)."""
    return pid is not None and manager_alive(pid)


def _error(answer: Any, status: int) -> DevnetError:
    if not isinstance(answer, dict):
        return ClusterError(f"the manager answered {status}: {answer!r}")
    kind = getattr(errors, str(answer.get("kind")), None)
    message = str(answer.get("error", answer))
    if isinstance(kind, type) and issubclass(kind, DevnetError):
        return kind(message)
    return ClusterError(message)


def _answer(body: bytes) -> Any:
    """A refusal's JSON body (or its text, when it is not JSON)."""
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def _stream_event(line: str) -> ClusterEvent | None:
    """The event on one line of the stream; None for heartbeats and lines we cannot read."""
    try:
        obj = json.loads(line)
    except ValueError:
        log.warning("skipping an event stream line that is not JSON: %.80s", line)
        return None
    kind = obj.get("type") if isinstance(obj, dict) else None
    if kind == HEARTBEAT:
        return None
    if kind == DROPPED:  # said where the gap is, in the one shape every reader handles
        return Problem(
            f"this viewer fell behind the manager's events: {obj.get('count')} event(s) were "
            "dropped; what it shows may be stale until the next status"
        )
    try:
        return event_from_json(obj)
    except ValueError as exc:  # a newer manager's event: skip it, keep the stream
        log.warning("skipping an event this version cannot read: %s", exc)
        return None


class RemoteCluster(ClusterAccess):
    """A running cluster of ``state`` (see the module docstring)."""

    def __init__(self, state: ClusterState) -> None:
        """Drive the cluster ``state`` describes."""
        self.state = state
        self.cluster_id = state.cluster_id
        self.contexts = dict(state.contexts)
        self.apps = dict(state.apps)
        self.token = state.token

    @classmethod
    def attach(cls, data_dir: Path) -> RemoteCluster:
        """The cluster running in ``data_dir``: its manager's, or, when the manager is gone,
        the nodes it left serving (reads work; changes say the manager is gone).

        Raises:
            ClusterError: none runs there (or only a stale state file is left).
        """
        cluster = cls(read_state(data_dir, stale_ok=True))
        if cluster.manager_gone and not any(ref.running for ref in cluster.refs()):
            raise stale_error(data_dir, cluster.state.manager_pid)
        return cluster

    @property
    def manager_gone(self) -> bool:
        """Whether the manager that wrote ``cluster.json`` has died (its nodes may serve on)."""
        return not self.state.manager_alive()

    def refs(self) -> list[NodeRef]:
        """The nodes as ``cluster.json`` lists them; running = its pid is alive (and, with the
        manager gone, proved to be that node still: pids get reused)."""
        refs = []
        gone = self.manager_gone
        for node in self.state.nodes:
            if node.remote is not None:  # another machine's: as its presence last said
                running = node.rpc_url is not None and not gone
                refs.append(NodeRef(node.name, node.rpc_url, None, running, node.remote))
                continue
            running = node.rpc_url is not None and pid_alive(node.pid)
            if running and gone:
                running = self._runs(node.name, node.pid or 0)
            refs.append(NodeRef(node.name, node.rpc_url, node.pid if running else None, running))
        return refs

    def _runs(self, name: str, pid: int) -> bool:
        """Whether ``pid`` is node ``name`` of this cluster (``orphans.node_running``)."""
        return orphans.node_running(pid, self.state.data_dir) == name

    def _control_url(self) -> str:
        if self.manager_gone:
            raise ClusterError(
                f"the manager (pid {self.state.manager_pid}) is gone; its nodes serve on "
                "(`devnet status`, `call`, `logs` work): `devnet up` stops them and starts a "
                "new manager on the same data, `devnet down` stops them"
            )
        url = self.state.control_url
        if url is None:
            raise ClusterError(
                f"the manager (pid {self.state.manager_pid}) serves no control endpoint: "
                "run this command in the terminal that runs `devnet up`"
            )
        return url

    def _unreachable(self, url: str, exc: Exception) -> ClusterError:
        return ClusterError(
            f"the manager (pid {self.state.manager_pid}) at {url} is unreachable: {exc}"
        )

    async def control(self, verb: str, path: str, body: Any = None) -> Any:
        """Send one request to the manager's control endpoint; return its ``data``.

        Raises:
            ClusterError: no endpoint, or the manager is unreachable; or the error the
                manager raised, as its own class.
        """
        url = self._control_url()
        try:
            sent = body is not None and verb != "GET"
            content, headers = (json_body(body), JSON_HEADERS) if sent else (None, None)
            async with http_client(url, CONTROL_TIMEOUT_S, self.token) as client:
                response = await client.request(verb, path, content=content, headers=headers)
            answer = response.json()
        except httpx.HTTPError as exc:
            raise self._unreachable(url, exc) from exc
        except ValueError as exc:
            raise ClusterError(f"the manager at {url} answered something not JSON") from exc
        if response.status_code != 200:
            raise _error(answer, response.status_code)
        return answer["data"]

    async def events(self, *, stall_after: float = STALL_S) -> AsyncIterator[ClusterEvent]:
        """Every event of the cluster from now on (the manager's ``GET /events``).

        The iteration ends when the stream does, as the cluster shuts down. Heartbeats are
        not passed on; a ``Dropped`` notice (this reader fell behind) becomes a ``Problem``;
        a line this version cannot read is skipped with a warning.

        Raises:
            ClusterError: no manager answers, or nothing arrived (not even a heartbeat) for
                ``stall_after`` seconds, or the connection broke mid-stream.
        """
        url = self._control_url()
        # httpx's read timeout bounds each wait for bytes: the heartbeats keep it from firing
        timeout = httpx.Timeout(CONNECT_TIMEOUT_S, read=stall_after)
        streaming = False
        try:
            async with (
                http_client(url, timeout, self.token) as client,
                client.stream("GET", "/events") as response,
            ):
                if response.status_code != 200:
                    raise _error(_answer(await response.aread()), response.status_code)
                streaming = True
                async for line in response.aiter_lines():
                    event = _stream_event(line) if line.strip() else None
                    if event is not None:
                        yield event
        except httpx.ReadTimeout as exc:
            raise ClusterError(
                f"the manager (pid {self.state.manager_pid}) at {url} stopped answering: no "
                f"event and no heartbeat for {stall_after:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            if not streaming:
                raise self._unreachable(url, exc) from exc
            raise ClusterError(
                f"the event stream of the manager (pid {self.state.manager_pid}) at {url} "
                f"broke off: {exc or type(exc).__name__} (did the manager die?)"
            ) from exc

    async def apps_info(self) -> list[dict[str, Any]]:
        """Every app: name, appId, version, kind, path and its ABI manifest (or None)."""
        data: list[dict[str, Any]] = await self.control("GET", "/apps")
        return data

    async def node_action(self, node: str, action: str) -> dict[str, Any]:
        """kill, stop, start or restart ``node`` (through the manager)."""
        self.node(node)  # an unknown name fails here, without bothering the manager
        data: dict[str, Any] = await self.control("POST", f"/nodes/{node}/{action}", {})
        return data

    async def partition(self, groups: list[list[str]]) -> dict[str, Any]:
        """Cut the network into ``groups``; return the rules now in force."""
        data: dict[str, Any] = await self.control("POST", "/net/partition", {"groups": groups})
        return data

    async def latency(
        self, sender: str, receiver: str, ms: float, loss: float = 0.0, both: bool = False
    ) -> dict[str, Any]:
        """Set the latency (and loss) of a link; return the rules now in force."""
        body = {"from": sender, "to": receiver, "ms": ms, "loss": loss, "both": both}
        data: dict[str, Any] = await self.control("POST", "/net/latency", body)
        return data

    async def heal(self) -> dict[str, Any]:
        """Back to a healthy network; return the rules now in force."""
        data: dict[str, Any] = await self.control("POST", "/net/heal", {})
        return data

    async def reset(self, context: str) -> dict[str, Any]:
        """Start ``context`` afresh under a new id (through the manager)."""
        data: dict[str, Any] = await self.control("POST", f"/contexts/{context}/reset", {})
        return data

    async def save_snapshot(self, name: str) -> dict[str, Any]:
        """Snapshot every node as ``name`` (through the manager); its summary."""
        data: dict[str, Any] = await self.control("POST", f"/snapshots/{name}/save", {})
        return data

    async def restore_snapshot(self, name: str) -> dict[str, Any]:
        """Put snapshot ``name`` back on every node and wait until converged (through the
        manager); its summary."""
        data: dict[str, Any] = await self.control("POST", f"/snapshots/{name}/restore", {})
        return data

    async def manager_status(self) -> dict[str, Any]:
        """The manager's view: status plus net rules, app versions and node failures."""
        data: dict[str, Any] = await self.control("GET", "/status")
        return data
