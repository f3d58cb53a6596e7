"""The type check of `devnet build` with an app's own tsconfig (as upstream examples ship
one), every error grouped by file, app errors apart from toolchain problems, and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calimero_devnet.errors import ToolchainError
from calimero_devnet.toolchain.cli import main
from calimero_devnet.toolchain.diagnostics import Diagnostic, format_by_file, parse_tsc
from calimero_devnet.toolchain.typecheck import split_by_origin, tsconfig_for, typecheck_app

#: The compiler options upstream's examples ship (rootDir, composite, declarations).
UPSTREAM_TSCONFIG = {
    "compilerOptions": {
        "target": "ES2020", "module": "ESNext", "moduleResolution": "node", "strict": True,
        "rootDir": "./src", "outDir": "./dist", "composite": True, "declaration": True,
        "declarationMap": True, "experimentalDecorators": True,
    },
    "include": ["src/**/*"],
}  # fmt: skip

APP = """\
import { State, Logic, Init, View } from '@calimero-network/calimero-sdk-js';
import { Counter } from '@calimero-network/calimero-sdk-js/collections';

@State
export class Tally {
  hits: Counter = new Counter();
}

@Logic(Tally)
export class TallyLogic extends Tally {
  @Init
  static init(): Tally {
    return new Tally();
  }

  hit(): void {
    this.hits.increment();
  }

  @View()
  total(): bigint {
    return this.hits.value();
  }
}
"""


def upstream_app(root: Path, extra: dict[str, str] | None = None) -> Path:
    """An app laid out as upstream's examples are: package.json, tsconfig.json, src/."""
    (root / "src").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": root.name}))
    (root / "tsconfig.json").write_text(json.dumps(UPSTREAM_TSCONFIG))
    (root / "src" / "index.ts").write_text(APP)
    for name, text in (extra or {}).items():
        (root / "src" / name).write_text(text)
    return root


def test_the_apps_own_tsconfig_loses_only_what_breaks_the_check(tmp_path: Path) -> None:
    (tmp_path / "tsconfig.json").write_text("{}")
    options = tsconfig_for(tmp_path, tmp_path / "sdk")["compilerOptions"]
    assert options["rootDir"] == "/"
    assert (options["composite"], options["declaration"], options["declarationMap"]) == (
        False, False, False,
    )  # fmt: skip
    assert "strict" not in options  # the app's own choice, inherited


def test_errors_are_split_by_origin_and_grouped_by_file(tmp_path: Path) -> None:
    out = (
        "src/a.ts(1,1): error TS2322: one.\n"
        "src/b.ts(2,1): error TS2322: two.\n"
        "src/a.ts(3,1): error TS2322: three.\n"
        "../../sdk/src/index.ts(1,1): error TS2307: sdk.\n"
        "build/.work/tsconfig.json(5,1): error TS18002: ours.\n"
        "error TS5023: Unknown compiler option 'x'.\n"
    )
    work = tmp_path / "build" / ".work"
    own, foreign = split_by_origin(parse_tsc(out, tmp_path), tmp_path, generated=work)
    assert [d.message for d in own] == ["one. (TS2322)", "two. (TS2322)", "three. (TS2322)"]
    assert [d.file for d in foreign] == [
        "../../sdk/src/index.ts", "build/.work/tsconfig.json", "<tsc>",
    ]  # fmt: skip
    text = format_by_file(own)
    assert text.index("src/a.ts: 2 error(s)") < text.index("three") < text.index("src/b.ts")
    assert format_by_file([Diagnostic("<tsc>", 0, 0, "bad")]) == (
        "<tsc>: 1 error(s)\n\n<tsc>: error: bad"
    )


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_an_upstream_tsconfig_checks_clean(tmp_path: Path) -> None:
    assert typecheck_app(upstream_app(tmp_path / "tally")) == []


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_every_app_error_is_shown_grouped_by_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [f"export const n{i}: number = 'x';" for i in range(8)]
    bad = {f"bad{n}.ts": "\n".join(lines) + "\n" for n in range(2)}
    app = upstream_app(tmp_path / "tally", bad)
    assert main([str(app)]) == 1
    out = capsys.readouterr().out
    assert "built " in out  # a type error never blocks the module
    assert "type check failed: 16 error(s) in 2 file(s) of the app" in out
    assert "src/bad0.ts: 8 error(s)" in out
    assert "src/bad1.ts: 8 error(s)" in out
    assert out.count("(TS2322)") == 16  # every error, not the first ten


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_a_check_failing_outside_the_app_is_a_toolchain_problem(tmp_path: Path) -> None:
    app = upstream_app(tmp_path / "tally")
    config = json.loads(json.dumps(UPSTREAM_TSCONFIG))
    config["compilerOptions"]["lib"] = ["es5"]
    (app / "tsconfig.json").write_text(json.dumps(config))  # our SDK needs more than ES5
    with pytest.raises(ToolchainError, match=r"a toolchain problem, not an error in your code"):
        typecheck_app(app)


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_an_unusable_app_tsconfig_is_named(tmp_path: Path) -> None:
    app = upstream_app(tmp_path / "tally")
    config = json.loads(json.dumps(UPSTREAM_TSCONFIG))
    config["compilerOptions"]["types"] = ["not-installed"]
    (app / "tsconfig.json").write_text(json.dumps(config))
    with pytest.raises(ToolchainError, match=r"cannot run with .*tally/tsconfig\.json"):
        typecheck_app(app)


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_build_json_reports_the_module_and_the_diagnostics(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = upstream_app(tmp_path / "tally", {"bad.ts": "export const n: number = 'x';\n"})
    assert main([str(app), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert report["errors"] == []
    assert report["wasm"] == str(app / "build" / "tally.wasm")
    assert report["size"] == (app / "build" / "tally.wasm").stat().st_size
    assert report["methods"] == ["hit", "total", "init"]
    [diag] = report["diagnostics"]
    assert (diag["file"], diag["line"], diag["column"]) == ("src/bad.ts", 1, 14)
    (app / "src" / "bad.ts").unlink()
    assert main([str(app), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_build_json_reports_a_failed_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = upstream_app(tmp_path / "tally")
    (app / "src" / "index.ts").write_text(
        APP + "\nimport { nothing } from './missing';\nexport const used = nothing;\n"
    )
    assert main([str(app), "--json", "--no-typecheck"]) == 1
    report = json.loads(capsys.readouterr().out)  # stdout is the JSON document alone
    assert (report["ok"], report["wasm"], report["size"], report["methods"]) == (
        False, None, None, [],
    )  # fmt: skip
    [error] = report["errors"]
    assert "TypeScript did not bundle" in error
