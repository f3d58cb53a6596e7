"""A real node process: ready line, JSON-RPC over loopback, clean SIGTERM, state across restarts."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.node_process import (
    NodeProcess,
    admin,
    deploy_kv_store,
    execute,
    node_command,
    node_env,
    start_node,
)
from tests.node.rpc_harness import misbehaving_wasm

pytestmark = pytest.mark.integration


def test_node_serves_stops_cleanly_and_keeps_state(tmp_path: Path) -> None:
    home = tmp_path / "node-1"
    node = start_node(home, "--index", "1")
    try:
        assert node.ready["name"] == "node-1"
        assert node.ready["pid"] == node.proc.pid
        assert node.ready["rpcPort"] > 0
        with httpx.Client(base_url=node.url) as client:
            assert admin(client, "GET", "identity")["publicKey"] == node.ready["publicKey"]
            ctx = deploy_kv_store(client, tmp_path)
            assert execute(client, ctx, "set", {"key": "a", "value": "1"}) is None
            assert execute(client, ctx, "get", {"key": "a"}) == "1"
            root = admin(client, "GET", f"contexts/{ctx}")["rootHash"]
    finally:
        code = node.stop(signal.SIGTERM)
    assert code == 0
    assert "stopped" in node.log()

    again: NodeProcess = start_node(home, "--index", "1")
    try:
        assert again.ready["publicKey"] == node.ready["publicKey"]
        with httpx.Client(base_url=again.url) as client:
            assert execute(client, ctx, "get", {"key": "a"}) == "1"
            assert admin(client, "GET", f"contexts/{ctx}")["rootHash"] == root
            assert admin(client, "GET", f"contexts/{ctx}/consistency")["problems"] == []
    finally:
        assert again.stop(signal.SIGINT) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--broker", "http://nope"],
            "--broker: broker URL 'http://nope' is not of the form mqtt://host:port",
        ),
        (["--rpc-port", "@PORT@"], "rpc port @PORT@ on 127.0.0.1 is already in use"),
    ],
)
def test_bad_settings_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        command = node_command(tmp_path / "n", *(arg.replace("@PORT@", port) for arg in args))
        done = subprocess.run(command, env=node_env(), capture_output=True, timeout=30, check=False)
    lines = done.stderr.decode().strip().splitlines()
    assert done.returncode == 2
    assert lines[-1].startswith("devnet: error: " + message.replace("@PORT@", port))


@pytest.mark.parametrize("second_signal", [False, True])
def test_a_stuck_call_cannot_hold_shutdown(tmp_path: Path, second_signal: bool) -> None:
    """A call burning its whole fuel (0.5-2 s, by machine) is abandoned: after the timeout, or
    at once on a second signal; either way the node exits 1 and says why."""
    wasm = tmp_path / "misbehaving.wasm"
    wasm.write_bytes(misbehaving_wasm())
    node = start_node(tmp_path / "n", "--shutdown-timeout", "10" if second_signal else "0.05")
    with httpx.Client(base_url=node.url) as client:
        app = admin(client, "POST", "install-dev-application", {"path": str(wasm)})
        ctx = admin(client, "POST", "contexts", {"applicationId": app["applicationId"]})
    body = {"jsonrpc": "2.0", "id": 1, "method": "execute"}
    body["params"] = {"contextId": ctx["contextId"], "method": "spin"}
    spinner = threading.Thread(target=_post_ignoring_errors, args=(node.url, body))
    spinner.start()
    time.sleep(0.3)  # the call is now running on the worker thread
    started = time.monotonic()
    node.proc.send_signal(signal.SIGTERM)
    if second_signal:
        time.sleep(0.1)
        node.proc.send_signal(signal.SIGTERM)
    code = node.wait()
    elapsed = time.monotonic() - started
    spinner.join()
    assert code == 1
    assert elapsed < 1.5
    needle = "second SIGTERM" if second_signal else "still busy"
    assert needle in node.log()


def _post_ignoring_errors(url: str, body: dict[str, Any]) -> None:
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(f"{url}/jsonrpc", json=body, timeout=10)
