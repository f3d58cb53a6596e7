"""Tests parsing of esbuild/tsc errors and their file:line:col + caret formatting."""

from __future__ import annotations

from pathlib import Path

from calimero_devnet.toolchain.diagnostics import (
    Diagnostic,
    format_all,
    parse_esbuild,
    parse_tsc,
)

ESBUILD_OUT = """\
✘ [ERROR] Unexpected "*"

    src/index.ts:4:11:
      4 │ let y = x +* 2;
        ╵            ^

✘ [ERROR] Could not resolve "nowhere"

1 error
"""


def write_app(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    lines = ["import a from 'b';", "", "const x = 1;", "let y = x +* 2;"]
    (tmp_path / "src" / "index.ts").write_text("\n".join(lines) + "\n")
    return tmp_path


def test_esbuild_errors_get_one_based_columns_and_the_source_line(tmp_path: Path) -> None:
    diags = parse_esbuild(ESBUILD_OUT, write_app(tmp_path))
    assert diags[0] == Diagnostic("src/index.ts", 4, 12, 'Unexpected "*"', "let y = x +* 2;")
    assert diags[1] == Diagnostic("<esbuild>", 0, 0, 'Could not resolve "nowhere"')


def test_format_points_a_caret_at_the_column() -> None:
    text = Diagnostic("src/index.ts", 4, 12, 'Unexpected "*"', "let y = x +* 2;").format()
    head, source, caret = text.splitlines()
    assert head == 'src/index.ts:4:12: error: Unexpected "*"'
    assert source.endswith("| let y = x +* 2;")
    assert caret.index("^") == source.index("*")


def test_tsc_errors_are_parsed(tmp_path: Path) -> None:
    out = "src/index.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.\n"
    (diag,) = parse_tsc(out, write_app(tmp_path))
    assert (diag.file, diag.line, diag.column) == ("src/index.ts", 3, 7)
    assert diag.message.endswith("(TS2322)")
    assert diag.source_line == "const x = 1;"


def test_missing_source_file_still_formats() -> None:
    diag = Diagnostic("gone.ts", 1, 1, "boom")
    assert diag.format() == "gone.ts:1:1: error: boom"


def test_format_all_caps_the_list() -> None:
    diags = [Diagnostic("a.ts", n, 1, "e") for n in range(1, 6)]
    text = format_all(diags, limit=2)
    assert text.count("error: e") == 2
    assert text.endswith("… and 3 more error(s)")
