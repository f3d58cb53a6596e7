"""The ``devnet`` command: version, subcommand dispatch, and errors mapped to exit codes."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from calimero_devnet import __version__, cli, exits
from calimero_devnet.errors import ConfigError, DevnetError, FunctionCallError, StoreError
from calimero_devnet.node.__main__ import add_node_arguments, node_config


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"devnet {__version__}"


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "node" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigError("bad --x"), 2),
        (StoreError("locked"), 5),
        (FunctionCallError("trap"), 6),
        (DevnetError("other"), 1),
    ],
)
def test_errors_become_one_line_and_a_code(
    capsys: pytest.CaptureFixture[str], error: DevnetError, code: int
) -> None:
    def fail() -> int:
        raise error

    assert exits.guarded(fail) == code
    assert capsys.readouterr().err == f"devnet: error: {error}\n"


def parse_node(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_node_arguments(parser)
    return parser.parse_args(["--home", "/tmp/devnet-test/node-3", *argv])


def test_node_options_become_a_config() -> None:
    config = node_config(parse_node("--rpc-port", "2428", "--index", "3"))
    assert (config.name, config.rpc_port, config.index) == ("node-3", 2428, 3)
    assert config.host == "127.0.0.1"
    assert config.module_cache is None


def test_nodes_can_share_a_module_cache() -> None:
    config = node_config(parse_node("--module-cache", "/tmp/devnet-test/wasm-cache"))
    assert config.module_cache == Path("/tmp/devnet-test/wasm-cache")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--rpc-port", "70000"], "--rpc-port 70000"),
        (["--index", "-1"], "--index -1"),
        (["--index", "1024"], "0..1023"),
        (["--broker", "mqtt://host"], "mqtt://HOST:PORT"),
    ],
)
def test_bad_node_options_are_config_errors(argv: list[str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("+", r"\+")):
        node_config(parse_node(*argv))
