"""Provides what the supervisor reports about node processes: event values and exit reasons.

Events are plain frozen values; ``str(event)`` is the sentence a CLI prints or a TUI shows
("node-2 ready on :2429 in 0.41 s"). The supervisor hands them to one callback.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calimero_devnet.errors import ClusterError

LOG_TAIL_LINES = 20
TAIL_BYTES = 64 * 1024
RUN_MARKER = "--- devnet: starting "  # written to stderr.log before each start

LOST_EXIT = 255  # a forked node's code once the fork server that reaps it is gone

# What the node's exit codes mean (docs/rpc.md "Exit codes").
EXIT_MEANINGS = {
    0: "clean stop",
    1: "crashed or shut down uncleanly",
    2: "bad option or RPC port taken",
    5: "store unusable (is another process using this home?)",
    130: "interrupted before it was running",
    LOST_EXIT: "its exit status was lost with the fork server that started it",
}


@dataclass(frozen=True, slots=True)
class NodeStarting:
    """A node process is being started."""

    name: str

    def __str__(self) -> str:
        return f"starting {self.name}…"


@dataclass(frozen=True, slots=True)
class NodeReady:
    """A node printed its ready line: it serves on ``rpc_port``."""

    name: str
    host: str
    rpc_port: int
    public_key: str
    pid: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.name} ready on :{self.rpc_port} in {self.seconds:.2f} s"


@dataclass(frozen=True, slots=True)
class NodeStopping:
    """The supervisor asked a node to stop (SIGINT)."""

    name: str

    def __str__(self) -> str:
        return f"stopping {self.name}…"


@dataclass(frozen=True, slots=True)
class StopEscalated:
    """A node ignored SIGINT for ``timeout`` seconds and was sent SIGKILL."""

    name: str
    timeout: float

    def __str__(self) -> str:
        return f"{self.name} did not stop within {self.timeout:g} s: sent SIGKILL"


@dataclass(frozen=True, slots=True)
class NodeStopped:
    """A node the supervisor stopped has exited."""

    name: str
    returncode: int
    seconds: float

    def __str__(self) -> str:
        how = "" if self.returncode == 0 else f" ({exit_reason(self.returncode)})"
        return f"{self.name} stopped in {self.seconds:.2f} s{how}"


@dataclass(frozen=True, slots=True)
class NodeExited:
    """A running node exited without being asked to stop (a crash, or ``kill()``).

    ``signal`` names the signal that ended it (``"SIGKILL"``), or is None for a plain exit;
    ``log_tail`` holds the last lines its run wrote to stderr (the log, and any traceback).
    """

    name: str
    returncode: int
    signal: str | None
    log_tail: tuple[str, ...]

    @property
    def reason(self) -> str:
        """Why it ended, in words."""
        return exit_reason(self.returncode)

    def __str__(self) -> str:
        return f"{self.name} exited unexpectedly: {self.reason}"


SupervisorEvent = NodeStarting | NodeReady | NodeStopping | StopEscalated | NodeStopped | NodeExited
Report = Callable[[SupervisorEvent], None]


def parse_ready_line(name: str, line: bytes, seconds: float) -> NodeReady:
    """The node's ready line (``docs/rpc.md``) as a ``NodeReady``.

    Raises:
        ClusterError: the line is not a ready line, quoting it.
    """
    try:
        fields: dict[str, Any] = json.loads(line)
        if fields.get("event") == "ready":
            return NodeReady(
                name, str(fields["host"]), int(fields["rpcPort"]), str(fields["publicKey"]),
                int(fields["pid"]), seconds,
            )  # fmt: skip
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    raise ClusterError(f"{name} printed {line[:200]!r} on stdout instead of its ready line")


def signal_name(returncode: int) -> str | None:
    """The name of the signal a negative (asyncio) return code stands for."""
    if returncode >= 0:
        return None
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def exit_reason(returncode: int) -> str:
    """Say why a process ended: ``killed by SIGKILL``, ``exit code 0 (clean stop)``, …"""
    name = signal_name(returncode)
    if name is not None:
        return f"killed by {name}"
    meaning = EXIT_MEANINGS.get(returncode)
    return f"exit code {returncode}" + (f", {meaning}" if meaning else "")


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> tuple[str, ...]:
    """The last ``lines`` lines of the latest run in ``path`` (empty if unreadable)."""
    try:
        with path.open("rb") as file:
            file.seek(max(0, file.seek(0, 2) - TAIL_BYTES))
            text = file.read().decode("utf-8", errors="replace")
    except OSError:
        return ()
    run = text.rsplit(RUN_MARKER, 1)[-1] if RUN_MARKER in text else text
    kept = [line for line in run.splitlines()[1 if RUN_MARKER in text else 0 :] if line.strip()]
    return tuple(kept[-lines:])
