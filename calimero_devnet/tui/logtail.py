"""Provides ``LogTail``: the new lines of the nodes' ``node.log`` files, read on demand.

Each call to ``read`` returns the complete lines appended since the last call (a partial
last line waits for its end). A file that shrank (truncated, replaced by ``--fresh``) is
read again from the start. At most ``MAX_BYTES`` are read per file and call, so a node
that floods its log cannot stall the UI; the rest is read next time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

MAX_BYTES = 256 * 1024
START_BYTES = 16 * 1024  # on first sight, only the end of a long log
# "<time> <LEVEL> <node> <logger>: <message>" (docs/rpc.md)
_LEVEL = re.compile(r"^(?:\S+ ){1,2}(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")


def level_of(line: str) -> str:
    """The level a node log line was written at (``info`` when it does not say)."""
    found = _LEVEL.match(line)
    if found is None:
        return "error" if line.startswith(("Traceback", "  File ")) else "info"
    return {"CRITICAL": "error"}.get(found.group(1), found.group(1)).lower()


class LogTail:
    """Tails several files by name (see the module docstring)."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        """Tail ``files`` (node → path); missing files are waited for."""
        self._files = dict(files)
        self._offsets: dict[str, int] = {}
        self._partial: dict[str, bytes] = {}

    def read(self) -> list[tuple[str, str]]:
        """(node, line) for each complete new line, oldest first per file."""
        lines: list[tuple[str, str]] = []
        for name, path in self._files.items():
            lines += [(name, line) for line in self._read_one(name, path)]
        return lines

    def _read_one(self, name: str, path: Path) -> list[str]:
        try:
            with path.open("rb") as file:
                size = file.seek(0, 2)
                offset = self._offsets.get(name)
                joined_midway = offset is None and size > START_BYTES
                if offset is None:
                    offset = max(0, size - START_BYTES)
                elif size < offset:
                    offset, self._partial[name] = 0, b""
                file.seek(offset)
                chunk = file.read(MAX_BYTES)
        except OSError:
            return []
        self._offsets[name] = offset + len(chunk)
        data = self._partial.pop(name, b"") + chunk
        if joined_midway:  # the first line read is the end of one: skip it
            data = data.partition(b"\n")[2]
        *complete, rest = data.split(b"\n")
        if rest:
            self._partial[name] = rest
        return [raw.decode("utf-8", errors="replace") for raw in complete if raw.strip()]
