"""Provides ``devnet logs [NODE] [-f]``: the nodes' ``node.log`` files, merged and coloured.

Each line is prefixed with its node (coloured on a terminal). Without ``-f`` the last lines
of every log are merged in time order (a log line starts with its timestamp); with ``-f``
new lines are printed as they are written, until Ctrl-C. A log cut short (a fresh start)
is read again from its beginning.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from calimero_devnet.cluster.commands.headless import node_colour

POLL_S = 0.2
TAIL_BYTES = 256 * 1024
Write = Callable[[str, str], None]


@dataclass
class LogFile:
    """One node's log and how far it has been read."""

    node: str
    path: Path
    offset: int = 0
    partial: bytes = field(default=b"")

    def read_new(self) -> list[str]:
        """The complete lines written since the last read."""
        try:
            size = self.path.stat().st_size
        except OSError:
            return []
        if size < self.offset:  # truncated or replaced: start over
            self.offset, self.partial = 0, b""
        if size == self.offset:
            return []
        with self.path.open("rb") as file:
            file.seek(self.offset)
            data = self.partial + file.read(size - self.offset)
        self.offset = size
        *lines, self.partial = data.split(b"\n")
        return [line.decode("utf-8", errors="replace") for line in lines]

    def tail(self, count: int) -> list[str]:
        """The last ``count`` complete lines; later reads continue after them."""
        try:
            size = self.path.stat().st_size
        except OSError:
            return []
        self.offset, self.partial = max(0, size - TAIL_BYTES), b""
        cut = self.offset > 0
        lines = self.read_new()
        lines = lines[1:] if cut else lines  # the first line read mid-file is cut
        return lines[-count:] if count else []


def node_logs(data_dir: Path, names: Sequence[str]) -> list[LogFile]:
    """The log of each named node (missing files are read once they appear)."""
    return [LogFile(name, data_dir / "nodes" / name / "node.log") for name in names]


def known_nodes(data_dir: Path) -> list[str]:
    """The nodes that have a home in ``data_dir``, by name."""
    root = data_dir / "nodes"
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


class Painter:
    """Prefixes lines with their node, coloured when ``colour``."""

    def __init__(self, names: Sequence[str], colour: bool) -> None:
        """Align prefixes on the longest name."""
        self._names = list(names)
        self._width = max((len(name) for name in names), default=0)
        self._colour = colour

    def __call__(self, node: str, line: str) -> str:
        """One prefixed line."""
        label = node.ljust(self._width)
        if self._colour:
            label = f"\x1b[{node_colour(node, self._names)}m{label}\x1b[0m"
        return f"{label} | {line}"


def stamped(lines: Sequence[str]) -> list[tuple[str, int, str]]:
    """(timestamp, position, line) for each line; continuation lines (a traceback) keep the
    timestamp of the line they follow, so merging never tears them from it."""
    out, stamp = [], ""
    for position, line in enumerate(lines):
        if line[:4].isdigit() and line[4:5] == "-":
            stamp = line[:23]
        out.append((stamp, position, line))
    return out


def merged(files: Sequence[LogFile], lines: int) -> Iterator[tuple[str, str]]:
    """The last ``lines`` lines of every file as (node, line), merged by timestamp."""
    tails = [
        [(stamp, index, pos, file.node, line) for stamp, pos, line in stamped(file.tail(lines))]
        for index, file in enumerate(files)
    ]
    for *_, node, line in heapq.merge(*tails):
        yield node, line


def follow(files: Sequence[LogFile], write: Write, stop: Callable[[], bool]) -> None:
    """Hand every new line of every file to ``write(node, line)`` until ``stop()``."""
    while not stop():
        for file in files:
            for line in file.read_new():
                write(file.node, line)
        time.sleep(POLL_S)
