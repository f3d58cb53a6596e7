"""Provides bundle -> TypeScript location mapping through esbuild's source map (v3).

A panic inside the wasm reports ``app.js:line:col`` (QuickJS positions in the bundle); the
node or the CLI maps it back with :func:`lookup` and the ``.js.map`` written by the build.
"""

from __future__ import annotations

import bisect
import json
import os
from dataclasses import dataclass
from pathlib import Path

_B64 = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """A 1-based position in an original source file."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def decode_vlq(segment: str) -> list[int]:
    """Decode one base64-VLQ segment of a source map into its signed integers."""
    values, shift, value = [], 0, 0
    for char in segment:
        digit = _B64[char]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        shift, value = 0, 0
    return values


class SourceMap:
    """A decoded source map: per generated line, sorted (column, source, line, column)."""

    def __init__(self, data: dict[str, object], base: Path) -> None:
        sources = data.get("sources")
        paths = sources if isinstance(sources, list) else []
        self.sources = [os.path.normpath(base / str(s)) for s in paths]
        self.lines: list[list[tuple[int, int, int, int]]] = []
        src = orig_line = orig_col = 0
        for line in str(data.get("mappings", "")).split(";"):
            gen_col, row = 0, []
            for segment in filter(None, line.split(",")):
                fields = decode_vlq(segment)
                gen_col += fields[0]
                if len(fields) >= 4:
                    src, orig_line, orig_col = (
                        src + fields[1],
                        orig_line + fields[2],
                        orig_col + fields[3],
                    )
                    row.append((gen_col, src, orig_line, orig_col))
            self.lines.append(row)

    @classmethod
    def load(cls, path: Path) -> SourceMap:
        """Read a ``.map`` file; source paths are resolved against its folder."""
        return cls(json.loads(path.read_text()), path.parent)

    def lookup(self, line: int, column: int) -> SourceLocation | None:
        """Map a 1-based bundle position to the original source, or None if unmapped."""
        if not 1 <= line <= len(self.lines) or not self.lines[line - 1]:
            return None
        row = self.lines[line - 1]
        index = max(bisect.bisect_right(row, (column - 1, 1 << 62)) - 1, 0)
        _, src, orig_line, orig_col = row[index]
        if not 0 <= src < len(self.sources):
            return None
        return SourceLocation(self.sources[src], orig_line + 1, orig_col + 1)


def lookup(map_path: Path, line: int, column: int) -> SourceLocation | None:
    """Map ``line:column`` of the bundle next to ``map_path`` back to TypeScript."""
    try:
        return SourceMap.load(map_path).lookup(line, column)
    except (OSError, ValueError, KeyError):
        return None
