"""Tests source map decoding and bundle -> TypeScript lookups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calimero_devnet.toolchain.sourcemap import SourceLocation, SourceMap, decode_vlq, lookup


@pytest.mark.parametrize(
    ("segment", "values"),
    [("AAAA", [0, 0, 0, 0]), ("SAAQ", [9, 0, 0, 8]), ("D", [-1]), ("gBAAA", [16, 0, 0, 0])],
)
def test_vlq_decoding(segment: str, values: list[int]) -> None:
    assert decode_vlq(segment) == values


def sample(tmp_path: Path) -> Path:
    # line 1: col 0 -> a.ts 1:0; line 2: col 0 -> a.ts 3:2, col 10 -> b.ts 5:0
    data = {"version": 3, "sources": ["../src/a.ts", "../src/b.ts"], "mappings": "AAAA;AAEE,UCEF"}
    out = tmp_path / "build"
    out.mkdir()
    path = out / "app.js.map"
    path.write_text(json.dumps(data))
    return path


def test_lookup_picks_the_last_segment_at_or_before_the_column(tmp_path: Path) -> None:
    smap = SourceMap.load(sample(tmp_path))
    src = str(tmp_path / "src")
    assert smap.lookup(2, 1) == SourceLocation(f"{src}/a.ts", 3, 3)
    assert smap.lookup(2, 10) == SourceLocation(f"{src}/a.ts", 3, 3)
    assert smap.lookup(2, 11) == SourceLocation(f"{src}/b.ts", 5, 1)
    assert str(smap.lookup(1, 5)) == f"{src}/a.ts:1:1"


def test_unmapped_positions_and_bad_files_give_none(tmp_path: Path) -> None:
    path = sample(tmp_path)
    assert lookup(path, 9, 1) is None
    assert lookup(tmp_path / "missing.map", 1, 1) is None
