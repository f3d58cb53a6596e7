"""Provides ``NodeFailures``: the nodes that died unasked, and which of them run again since.

A past exit is history once the node is ready again: the manager's status says
``node-2 restarted 12 s ago after SIGKILL``, never that it "exited unexpectedly" while it
serves. Every exit of the run still counts for the manager's exit status (``all``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from calimero_devnet.cluster.processes.node_events import NodeExited


@dataclass
class NodeFailures:
    """Unasked node exits, as they happened and as they stand now."""

    all: list[NodeExited] = field(default_factory=list)  # every one of the run, in order
    _down: dict[str, NodeExited] = field(default_factory=dict)  # still down after it
    _back: dict[str, tuple[NodeExited, float]] = field(default_factory=dict)  # ready again at

    def exited(self, event: NodeExited) -> None:
        """``event``'s node died without being asked to."""
        self.all.append(event)
        self._down[event.name] = event
        self._back.pop(event.name, None)

    def ready(self, name: str, now: float) -> None:
        """``name`` is ready again (at ``now``, a monotonic time): its exit is history."""
        exit_ = self._down.pop(name, None)
        if exit_ is not None:
            self._back[name] = (exit_, now)

    def current(self) -> list[str]:
        """The nodes down since they died unasked: ``node-2 exited unexpectedly: …``."""
        return [str(event) for event in self._down.values()]

    def history(self, now: float) -> list[str]:
        """The nodes back since: ``node-2 restarted 12 s ago after SIGKILL``."""
        return [
            f"{name} restarted {now - at:.0f} s ago after {event.signal or event.reason}"
            for name, (event, at) in self._back.items()
        ]
