"""Provides the headless log of ``devnet up``: one compact, timestamped line per happening.

``describe`` (pure) turns a ``ClusterEvent`` into lines: a node's feed message becomes a
summary ("node-2 applied 12 delta(s) from node-1") instead of one line per delta, and the
state events that only move heads are left to the convergence lines. ``LogPrinter`` adds
the time and, on a terminal, one colour per node (``NO_COLOR`` turns colour off).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from calimero_devnet.cluster.events import (
    BrokerDown,
    BuildFinished,
    ClusterEvent,
    ClusterReady,
    ContextReset,
    ConvergenceChanged,
    FeedMessage,
    NodePresence,
    NodeSwitched,
    Problem,
    StateRefused,
    StatusPolled,
)
from calimero_devnet.cluster.events_json import event_to_json
from calimero_devnet.cluster.processes.node_events import NodeExited, StopEscalated

COLOURS = (36, 33, 35, 32, 34, 91, 96, 93, 94, 95)
MAX_APP_EVENTS = 3  # app events shown per feed message; the rest are counted
RED = 31


def say(line: str, stream: TextIO) -> None:
    """Print ``line``; once the reader is gone (``devnet up | tee`` after Ctrl-C), print nothing.

    A closed pipe must not stop the manager: it still has a cluster to shut down. The
    stream's descriptor is pointed at /dev/null so later writes (and the flush at exit) pass.
    """
    try:
        print(line, file=stream, flush=True)
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
            os.close(devnull)


def node_colour(name: str, names: Sequence[str]) -> int:
    """The ANSI colour of a node: by its position among ``names`` (stable per cluster)."""
    index = names.index(name) if name in names else sum(name.encode())
    return COLOURS[index % len(COLOURS)]


def use_colour(stream: TextIO) -> bool:
    """Colour when writing to a terminal, unless ``NO_COLOR`` is set."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _short(value: Any) -> str:
    return str(value)[:8] if value else "-"


def describe_feed(node: str, events: Sequence[Mapping[str, Any]],
                  contexts: Mapping[str, str]) -> list[str]:  # fmt: skip
    """Summarise one feed message of ``node`` (``contexts``: id → name)."""
    kinds = Counter(str(event.get("event")) for event in events)
    lines = []
    authored = [e for e in events if e.get("event") == "authored"]
    if len(authored) == 1:
        delta = authored[0]
        lines.append(f"{node} wrote delta {_short(delta.get('delta'))} "
                     f"({delta.get('kind')}), root {_short(delta.get('root'))}")  # fmt: skip
    elif authored:
        lines.append(f"{node} wrote {len(authored)} deltas")
    applied = [e for e in events if e.get("event") == "applied"]
    if applied:
        count = sum(int(e.get("count", 0)) for e in applied)
        senders = ", ".join(sorted({str(e.get("from")) for e in applied}))
        lines.append(f"{node} applied {count} delta(s) from {senders}")
    if kinds["pending"]:
        lines.append(f"{node} holds {kinds['pending']} delta(s) waiting for parents (fetching)")
    local = [e for e in events if e.get("event") == "event" and e.get("origin") == "local"]
    for event in local[:MAX_APP_EVENTS]:
        data = str(event.get("data", event.get("dataHex", "")))
        lines.append(f"{node} event {event.get('kind')} {data[:80]}")
    if len(local) > MAX_APP_EVENTS:
        lines.append(f"{node} … and {len(local) - MAX_APP_EVENTS} more event(s)")
    for event in events:
        lines += _special(node, event, contexts) + _lost_link(node, event)
    return lines


def _lost_link(node: str, event: Mapping[str, Any]) -> list[str]:
    """A node's ``link`` event of an outage: when it lost the broker, and why.

    Told once the node is back on the bus (the feed waits for the broker like the deltas);
    its return is the heads catching up, so ``connected`` says nothing more.
    """
    if event.get("event") != "link" or event.get("state") != "disconnected":
        return []
    since = event.get("since")
    at = time.strftime("%H:%M:%S", time.localtime(since / 1000)) if isinstance(since, int) else "?"
    return [f"{node} lost the broker at {at} ({event.get('error')})"]


def _special(node: str, event: Mapping[str, Any], contexts: Mapping[str, str]) -> list[str]:
    kind = event.get("event")
    ctx = contexts.get(str(event.get("context")), _short(event.get("context")))
    if kind == "joined":
        return [f"{node} joined {ctx} from {event.get('from')} ({event.get('entries')} entries)"]
    if kind == "served":
        return [f"{node} sent a snapshot of {ctx} to {event.get('to')}"]
    if kind in ("rejected", "failed", "joinFailed"):
        return [f"{node} {kind}: {event.get('reason')}"]
    if kind == "log" and event.get("level") in ("warning", "error", "WARNING", "ERROR"):
        return [f"{node} {str(event.get('level')).lower()}: {event.get('text')}"]
    if kind == "feedDropped":
        return [f"{node} dropped {event.get('count')} feed event(s) (the feed fell behind)"]
    return []


def describe(event: ClusterEvent, contexts: Mapping[str, str]) -> list[str]:
    """The lines to print for ``event`` (none for events only a UI needs)."""
    if isinstance(event, StatusPolled | NodeSwitched):
        return []  # a UI's table and progress bar; convergence and AppDeployed say it here
    if isinstance(event, FeedMessage):
        return describe_feed(event.node, event.events, contexts)
    if isinstance(event, NodePresence) and event.status == "online":
        return []  # "ready" already said it; going offline is the news
    if isinstance(event, NodeExited):
        tail = "".join(f"\n    {line}" for line in event.log_tail[-5:])
        return [f"{event}{tail}"]
    return str(event).splitlines()


def is_alarm(event: ClusterEvent) -> bool:
    """Whether the event reports trouble (printed in red)."""
    if isinstance(event, BuildFinished):
        return event.error is not None
    if isinstance(event, ConvergenceChanged):
        return not event.converged
    return isinstance(event, NodeExited | StopEscalated | Problem | StateRefused | BrokerDown)


class LogPrinter:
    """The progress callback of headless ``devnet up``: prints ``describe``'s lines."""

    def __init__(self, names: Sequence[str], stream: TextIO | None = None) -> None:
        """Print to ``stream`` (default stdout); ``names`` fixes the node colours."""
        self._stream = stream or sys.stdout
        self._names = list(names)
        self._colour = use_colour(self._stream)
        self._contexts: dict[str, str] = {}  # id -> name, learned from ClusterReady

    def __call__(self, event: ClusterEvent) -> None:
        """Print the lines of one event."""
        if isinstance(event, ClusterReady):
            self._contexts = {cid: name for name, cid in event.contexts}
        elif isinstance(event, ContextReset):
            self._contexts[event.new_id] = event.context
        stamp = time.strftime("%H:%M:%S")
        alarm = is_alarm(event)
        for line in describe(event, self._contexts):
            say(f"{stamp} {self._paint(line, alarm)}", self._stream)

    def _paint(self, line: str, alarm: bool) -> str:
        if not self._colour:
            return line
        if alarm:
            return f"\x1b[{RED}m{line}\x1b[0m"
        first = line.split(" ", 1)[0]
        if first in self._names:
            colour = node_colour(first, self._names)
            return f"\x1b[{colour}m{first}\x1b[0m{line[len(first) :]}"
        return line


def event_json(event: ClusterEvent) -> dict[str, Any]:
    """An event as one JSON object: its type, its fields and its sentence."""
    return {"ts": round(time.time(), 3), **event_to_json(event), "text": str(event)}


class JsonPrinter:
    """The progress callback of ``devnet up --json``: one JSON object per event and line."""

    def __init__(self, stream: TextIO | None = None) -> None:
        """Print to ``stream`` (default stdout)."""
        self._stream = stream or sys.stdout

    def __call__(self, event: ClusterEvent) -> None:
        """Print one event (not the status polls: a line every half second says nothing)."""
        if not isinstance(event, StatusPolled):
            say(json.dumps(event_json(event), default=str), self._stream)
