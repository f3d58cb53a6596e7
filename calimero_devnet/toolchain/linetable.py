"""Provides the bundle's line table: TypeScript positions the SDK puts in stack traces.

The node never sees source maps, so the build appends a compact table to the bundle
(``globalThis.__calimero_lines``, JSON text); the SDK's ``Error.prepareStackTrace`` maps each
frame with it, and a panic then names ``src/index.ts:line:col``. Appending after the last
line keeps every bundle position, and so the ``.map``, valid. The table holds only app
code: for each bundle line mapped to an app file, its segments ``[column, file, line,
column]`` (1-based); the bundle lines of SDK code are listed as ranges (their frames are
shown without a position, so a panic points at the app line that called the SDK).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from calimero_devnet.toolchain.sourcemap import SourceMap

GLOBAL = "__calimero_lines"


def _display(path: str, app_dir: Path) -> str:
    """Return ``path`` relative to the app when it is inside it, else as it is."""
    rel = os.path.relpath(path, app_dir)
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def _is_under(path: str, folder: Path) -> bool:
    return os.path.commonpath([path, str(folder)]) == str(folder)


def _ranges(lines: list[int]) -> list[int]:
    """Return sorted line numbers as flat ``[first, last, first, last, ...]`` runs."""
    out: list[int] = []
    for line in lines:
        if out and out[-1] == line - 1:
            out[-1] = line
        else:
            out += [line, line]
    return out


def line_table(smap: SourceMap, bundle_name: str, app_dir: Path, sdk_src: Path) -> dict[str, Any]:
    """Return the table of ``smap`` (the bundle's decoded source map).

    Args:
        smap: the decoded ``.map`` of the bundle.
        bundle_name: the file name QuickJS reports in stack frames (``app.js``).
        app_dir: the app's folder; file names are shown relative to it.
        sdk_src: the SDK's source folder; its lines are marked as SDK code.
    """
    app_dir, sdk_src = app_dir.resolve(), sdk_src.resolve()
    sdk = [i for i, p in enumerate(smap.sources) if _is_under(p, sdk_src)]
    files: list[str] = []
    index: dict[int, int] = {}
    sdk_lines: list[int] = []
    lines: dict[str, list[int]] = {}
    for number, row in enumerate(smap.lines, 1):
        app_row = [seg for seg in row if seg[1] not in sdk]
        if row and not app_row:
            sdk_lines.append(number)
            continue
        flat: list[int] = []
        for gen_col, src, orig_line, orig_col in app_row:
            if src not in index:
                index[src] = len(files)
                files.append(_display(smap.sources[src], app_dir))
            flat += [gen_col + 1, index[src], orig_line + 1, orig_col + 1]
        if flat:
            lines[str(number)] = flat
    return {"bundle": bundle_name, "files": files, "sdk": _ranges(sdk_lines), "lines": lines}


def embed_line_table(bundle: Path, app_dir: Path, sdk_src: Path) -> int:
    """Append the line table to ``bundle`` (its ``.map`` sits next to it); return its size.

    A bundle without a readable map is left as it is (stack frames then show bundle
    positions) and 0 is returned.
    """
    try:
        smap = SourceMap.load(bundle.with_name(bundle.name + ".map"))
    except (OSError, ValueError, KeyError):
        return 0
    table = json.dumps(line_table(smap, bundle.name, app_dir, sdk_src), separators=(",", ":"))
    statement = f"\nglobalThis.{GLOBAL} = {json.dumps(table)};\n"
    with bundle.open("a", encoding="utf-8") as out:
        out.write(statement)
    return len(table)
