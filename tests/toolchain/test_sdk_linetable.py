"""The bundle's line table: what the SDK's stack formatter maps frames with."""

from __future__ import annotations

import json
from pathlib import Path

from calimero_devnet.toolchain.linetable import GLOBAL, embed_line_table, line_table
from calimero_devnet.toolchain.sourcemap import SourceMap

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def vlq(*values: int) -> str:
    """Encode one source-map segment."""
    out = ""
    for value in values:
        v = (-value << 1) | 1 if value < 0 else value << 1
        while True:
            digit, v = v & 31, v >> 5
            out += _B64[digit | (32 if v else 0)]
            if not v:
                break
    return out


def source_map(tmp_path: Path) -> SourceMap:
    """A bundle of three lines: SDK code, app code (two segments), code of a dependency."""
    sources = ["../sdk/src/env.ts", "../app/src/index.ts", "/elsewhere/lib.js"]
    mappings = ";".join([
        vlq(0, 0, 4, 0),  # line 1 -> sdk env.ts 5:1 (fields are deltas)
        vlq(2, 1, 6, 4) + "," + vlq(8, 0, 0, 6),  # line 2 -> index.ts 11:5, then 11:11
        vlq(0, 1, 3, -10),  # line 3 -> lib.js 14:1
        "",  # line 4: unmapped
        vlq(0, -2, -10, 0),  # line 5 -> sdk again
    ])  # fmt: skip
    data = {"version": 3, "sources": sources, "mappings": mappings}
    return SourceMap(data, tmp_path / "build")


def test_app_lines_carry_one_based_segments_and_sdk_lines_are_ranges(tmp_path: Path) -> None:
    table = line_table(source_map(tmp_path), "app.js", tmp_path / "app", tmp_path / "sdk" / "src")
    assert table["bundle"] == "app.js"
    assert table["files"] == ["src/index.ts", "/elsewhere/lib.js"]
    assert table["lines"] == {"2": [3, 0, 11, 5, 11, 0, 11, 11], "3": [1, 1, 14, 1]}
    assert table["sdk"] == [1, 1, 5, 5]


def test_embedding_appends_one_statement_and_keeps_positions(tmp_path: Path) -> None:
    bundle = tmp_path / "build" / "app.js"
    bundle.parent.mkdir()
    code = "(() => {\n  foo();\n})();\n//# sourceMappingURL=app.js.map\n"
    bundle.write_text(code)
    smap = {"version": 3, "sources": ["../src/index.ts"], "mappings": ";" + vlq(2, 0, 1, 2)}
    bundle.with_name("app.js.map").write_text(json.dumps(smap))
    size = embed_line_table(bundle, tmp_path, tmp_path / "sdk")
    text = bundle.read_text()
    assert text.startswith(code)
    statement = text[len(code) :].strip()
    prefix = f"globalThis.{GLOBAL} = "
    assert statement.startswith(prefix)
    assert statement.endswith(";")
    table = json.loads(json.loads(statement[len(prefix) : -1]))
    assert table["lines"] == {"2": [3, 0, 2, 3]}
    assert size == len(json.dumps(table, separators=(",", ":")))


def test_a_bundle_without_a_map_is_left_alone(tmp_path: Path) -> None:
    bundle = tmp_path / "app.js"
    bundle.write_text("x();\n")
    assert embed_line_table(bundle, tmp_path, tmp_path / "sdk") == 0
    assert bundle.read_text() == "x();\n"
