"""The ``devnet`` command: version, subcommand dispatch, and errors mapped to exit codes."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from calimero_devnet import __version__, cli, exits
from calimero_devnet.cluster.commands import handlers
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


def test_a_node_takes_its_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert node_config(parse_node()).token is None
    monkeypatch.setenv("DEVNET_TOKEN", "a-node-token-0123456789")
    config = node_config(parse_node())
    assert config.token == "a-node-token-0123456789"
    assert "a-node-token" not in repr(config)
    monkeypatch.setenv("DEVNET_TOKEN", "too short")
    with pytest.raises(ConfigError, match=r"\$DEVNET_TOKEN is not a valid bearer token") as bad:
        node_config(parse_node())
    assert "too short" not in str(bad.value)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--rpc-port", "70000"], "--rpc-port 70000"),
        (["--index", "-1"], "--index -1"),
        (["--index", "1024"], "0..1023"),
        (["--broker", "http://host:1"], "--broker: broker URL 'http://host:1' is not of the form"),
        (["--join", "mqtt://h:1", "--ca-file", "/ca.pem"], "--ca-file needs a TLS broker"),
        (["--join", "mqtts://h:1", "--ca-file", "/nowhere.pem"], "/nowhere.pem: no such file"),
        (["--broker", "mqtt://h:1", "--password", "pw"], "--password needs a user"),
        (["--username", "u"], "need --broker or --join"),
        (["--data-dir", "/tmp/x"], "--data-dir goes with --join"),
        (["--join", "mqtt://h:1", "--name", "a/b"], "--name: node name 'a/b'"),
    ],
)
def test_bad_node_options_are_config_errors(argv: list[str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("+", r"\+")):
        node_config(parse_node(*argv))


def test_output_to_a_closed_pipe_ends_quietly() -> None:
    # `devnet status | head -4`: the reader goes away while the command still prints.
    script = (
        "import sys\nfrom calimero_devnet import exits\n"
        "sys.exit(exits.guarded(lambda: [print('row', i) for i in range(200000)] and 0))"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as child:  # fmt: skip
        assert child.stdout is not None
        assert child.stderr is not None
        assert child.stdout.readline() == b"row 0\n"
        child.stdout.close()
        errors = child.stderr.read().decode()
        assert child.wait(30) == exits.BROKEN_PIPE
    assert "Traceback" not in errors
    assert "BrokenPipeError" not in errors


class _FakeCluster:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    async def call(self, node: str, method: str, args: Any, context: str | None) -> Any:
        self.sent.append(args)
        return {"值": args["value"][:3]}


@pytest.fixture
def fake_cluster(monkeypatch: pytest.MonkeyPatch) -> _FakeCluster:
    fake = _FakeCluster()
    monkeypatch.setattr(handlers, "_attach", lambda _: fake)
    return fake


def test_call_arguments_from_a_file_and_from_stdin(
    fake_cluster: _FakeCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    big = {"key": "k", "value": "v" * 1_000_000}  # too long for a command line
    path = tmp_path / "args.json"
    path.write_text(json.dumps(big))
    assert cli.main(["call", "node-1", "set", f"@{path}"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(big)))
    assert cli.main(["call", "node-1", "set", "-"]) == 0
    assert fake_cluster.sent == [big, big]
    assert capsys.readouterr().out == '{"值": "vvv"}\n' * 2  # unicode kept as it is


def test_an_unreadable_arguments_file_is_a_config_error(
    fake_cluster: _FakeCluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["call", "node-1", "set", f"@{tmp_path / 'missing.json'}"]) == 2
    assert "arguments file" in capsys.readouterr().err
    assert fake_cluster.sent == []


def test_call_and_partition_help_describe_their_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for command, words in (("call", ("the node to run it on", "the app method", "@FILE")),
                           ("partition", ("comma-separated node names",))):  # fmt: skip
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        out = capsys.readouterr().out
        assert all(word in out for word in words), out


def test_up_refuses_a_garbage_wasm_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "app.wasm").write_bytes(b"<!doctype html>")
    (tmp_path / "devnet.toml").write_text(
        '[cluster]\ndata_dir = "data"\n[[apps]]\npath = "app.wasm"\n'
    )
    monkeypatch.chdir(tmp_path)
    assert cli.main(["up", "--headless"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("devnet: error: ")
    assert error.count("\n") == 1
    assert f"{tmp_path / 'app.wasm'} is not a WebAssembly module" in error
    assert not (tmp_path / "data").exists()  # no node home, log or cluster.json was made
