"""Provides compiler diagnostics users can act on: parse esbuild and tsc output, and format
each as ``file:line:col: error: message`` with the source line and a caret."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_ESBUILD_HEAD = re.compile(r"^(?:✘ )?\[ERROR\] (?P<msg>.+)$")
_ESBUILD_LOC = re.compile(r"^\s+(?P<file>\S.*?):(?P<line>\d+):(?P<col>\d+):\s*$")
_TSC = re.compile(
    r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+): (?P<msg>.*)$"
)
#: An error of the whole check (a tsconfig option, a file outside ``rootDir``): no location.
_TSC_GLOBAL = re.compile(r"^error (?P<code>TS\d+): (?P<msg>.*)$")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One error at a source position (``line`` and ``column`` are 1-based)."""

    file: str
    line: int
    column: int
    message: str
    source_line: str | None = None

    def format(self) -> str:
        """Return ``file:line:col: error: message`` plus the source line and a caret."""
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        head = f"{where}: error: {self.message}"
        if self.source_line is None:
            return head
        gutter = f"{self.line:>5} | "
        text = self.source_line.rstrip("\n").expandtabs(1)
        caret = " " * (len(gutter) - 2) + "| " + " " * max(self.column - 1, 0) + "^"
        return f"{head}\n{gutter}{text}\n{caret}"


def with_source(diag: Diagnostic, base: Path) -> Diagnostic:
    """Return ``diag`` with its source line read from ``base / diag.file`` when possible."""
    path = Path(diag.file) if Path(diag.file).is_absolute() else base / diag.file
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return diag
    if not 1 <= diag.line <= len(lines):
        return diag
    return Diagnostic(diag.file, diag.line, diag.column, diag.message, lines[diag.line - 1])


def parse_esbuild(stderr: str, base: Path) -> list[Diagnostic]:
    """Parse esbuild's text errors (its columns are 0-based; ours are 1-based)."""
    found: list[Diagnostic] = []
    message: str | None = None
    for line in stderr.splitlines():
        head = _ESBUILD_HEAD.match(line.strip())
        if head:
            if message is not None:  # an error without a location
                found.append(Diagnostic("<esbuild>", 0, 0, message))
            message = head["msg"]
            continue
        loc = _ESBUILD_LOC.match(line)
        if loc and message is not None:
            diag = Diagnostic(loc["file"], int(loc["line"]), int(loc["col"]) + 1, message)
            found.append(with_source(diag, base))
            message = None
    if message is not None:
        found.append(Diagnostic("<esbuild>", 0, 0, message))
    return found


def parse_tsc(output: str, base: Path) -> list[Diagnostic]:
    """Parse ``tsc --pretty false`` errors (``file(line,col): error TSnnnn: message``); an
    error without a location is filed under ``<tsc>``."""
    found = []
    for line in output.splitlines():
        match = _TSC.match(line.strip())
        whole = None if match else _TSC_GLOBAL.match(line.strip())
        if whole:
            found.append(Diagnostic("<tsc>", 0, 0, f"{whole['msg']} ({whole['code']})"))
        if match:
            diag = Diagnostic(match["file"], int(match["line"]), int(match["col"]),
                              f"{match['msg']} ({match['code']})")  # fmt: skip
            found.append(with_source(diag, base))
    return found


def format_all(diags: list[Diagnostic], *, limit: int = 20) -> str:
    """Return the formatted diagnostics, at most ``limit`` of them, blank-line separated."""
    shown = "\n\n".join(d.format() for d in diags[:limit])
    more = len(diags) - limit
    return shown + (f"\n\n… and {more} more error(s)" if more > 0 else "")


def format_by_file(diags: list[Diagnostic]) -> str:
    """Return every diagnostic, grouped under a ``file: N error(s)`` line per file."""
    groups: dict[str, list[Diagnostic]] = {}
    for diag in diags:
        groups.setdefault(diag.file, []).append(diag)
    blocks = [
        f"{file}: {len(found)} error(s)\n\n" + "\n\n".join(d.format() for d in found)
        for file, found in groups.items()
    ]
    return "\n\n".join(blocks)
