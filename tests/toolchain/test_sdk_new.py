"""``devnet new``: copying a template, its refusals, and that what it writes builds and
type-checks (with the toolchain's config and with the app's own tsconfig, as editors use)."""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

import pytest

from calimero_devnet.errors import ConfigError
from calimero_devnet.templates import (
    TEMPLATES_ENV,
    add_new_command,
    available,
    new_app,
    package_name,
    template_dir,
)
from calimero_devnet.toolchain import build_app, ensure_toolchain
from calimero_devnet.toolchain.engine import toolchain_dir
from calimero_devnet.toolchain.typecheck import typecheck_app


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="devnet")
    add_new_command(parser.add_subparsers())
    return parser.parse_args(["new", *argv])


def test_the_bundled_templates_are_listed() -> None:
    assert available() == ["counter", "kv-store"]
    assert (template_dir() / "src" / "index.ts").is_file()  # kv-store by default


def test_a_template_is_copied_and_pointed_at_the_sdk(tmp_path: Path) -> None:
    sdk = tmp_path / "sdk-src"
    dest = new_app(tmp_path / "My App", "counter", sdk_src=sdk)
    assert sorted(p.name for p in dest.iterdir()) == ["README.md", "package.json", "src",
                                                       "tsconfig.json"]  # fmt: skip
    assert json.loads((dest / "package.json").read_text())["name"] == "my-app"
    options = json.loads((dest / "tsconfig.json").read_text())["compilerOptions"]
    assert options["paths"]["@calimero/sdk"] == [str(sdk / "index.ts")]
    assert options["paths"]["@calimero-network/calimero-sdk-js/*"] == [str(sdk / "*")]
    assert options["experimentalDecorators"] is True
    assert (dest / "src" / "index.ts").read_text() == (
        template_dir("counter") / "src" / "index.ts"
    ).read_text()


def test_an_empty_folder_is_fine_and_a_full_one_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert new_app(empty, sdk_src=tmp_path) == empty
    with pytest.raises(ConfigError, match=r"is a folder that is not empty: .*pick another"):
        new_app(empty, sdk_src=tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        new_app(tmp_path / "file", sdk_src=tmp_path)


def test_an_unknown_template_lists_them_and_suggests_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        new_app(tmp_path / "x", "kv-stor")
    assert str(info.value) == (
        "unknown template 'kv-stor': did you mean 'kv-store'? the templates are: counter, kv-store"
    )
    assert not (tmp_path / "x").exists()


def test_build_outputs_are_not_copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "templates"
    for part in ("src", "build", "node_modules/x"):
        (root / "mine" / part).mkdir(parents=True)
    (root / "mine" / "src" / "index.ts").write_text("// app\n")
    (root / "mine" / "build" / "mine.wasm").write_bytes(b"\0asm")
    monkeypatch.setenv(TEMPLATES_ENV, str(root))
    dest = new_app(tmp_path / "out", "mine", sdk_src=tmp_path)
    assert [p.name for p in dest.iterdir()] == ["src"]


def test_package_names_are_npm_style() -> None:
    assert package_name(Path("/x/My Cool_App!")) == "my-cool_app"
    assert package_name(Path("/x/---")) == "app"


def test_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(str(tmp_path / "app"), "--template", "counter")
    assert args.handler(args) == 0
    assert f"created {tmp_path / 'app'} from the counter template" in capsys.readouterr().out
    args = parse("--list")
    assert args.handler(args) == 0
    assert capsys.readouterr().out == "counter\nkv-store\n"
    args = parse()
    with pytest.raises(ConfigError, match="give the folder to create"):
        args.handler(args)


@pytest.mark.integration
@pytest.mark.timeout(600)
@pytest.mark.parametrize("template", ["kv-store", "counter"])
def test_templates_type_check_and_build(tmp_path: Path, template: str) -> None:
    assert typecheck_app(template_dir(template), out_dir=tmp_path / "check") == []
    dest = new_app(tmp_path / "app", template)
    tsc = ensure_toolchain().node.tsc  # the app's own tsconfig, as an editor reads it
    done = subprocess.run([str(tsc), "-p", str(dest / "tsconfig.json"), "--pretty", "false"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert str(toolchain_dir() / "sdk" / "src") in (dest / "tsconfig.json").read_text()
    assert build_app(dest).manifest["app"] == "app"
