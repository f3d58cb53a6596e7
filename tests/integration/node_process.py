"""Provides a real node process for integration tests and benchmarks: spawn, await ready, stop."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from tests.fixtures import load_wat

REPO = Path(__file__).resolve().parents[2]


@dataclass
class NodeProcess:
    """A node started with ``python -m calimero_devnet.node`` and its ready line."""

    proc: subprocess.Popen[bytes]
    ready: dict[str, Any]
    home: Path
    started_s: float

    @property
    def url(self) -> str:
        """The node's base URL."""
        return f"http://127.0.0.1:{self.ready['rpcPort']}"

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send ``sig`` and wait for the exit code (SIGKILL after ``timeout``)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def wait(self, timeout: float = 15.0) -> int:
        """Wait for the exit code without signalling (SIGKILL after ``timeout``)."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            if self.proc.stdout is not None:
                self.proc.stdout.close()

    def log(self) -> str:
        """The node's own log file."""
        return (self.home / "node.log").read_text(encoding="utf-8")


def node_command(home: Path, *args: str) -> list[str]:
    """The command line of a node on ``home`` (port 0 unless ``args`` name one)."""
    command = [sys.executable, "-m", "calimero_devnet.node", "--home", str(home), *args]
    return command if "--rpc-port" in args else [*command, "--rpc-port", "0"]


def node_env(repo: Path = REPO) -> dict[str, str]:
    """The environment of a node process: this checkout (or ``repo``) first on the path."""
    return {**os.environ, "PYTHONPATH": str(repo)}


def start_node(home: Path, *args: str, timeout: float = 20.0, repo: Path = REPO) -> NodeProcess:
    """Start a node on a free loopback port and wait for its ready line.

    ``repo``: the checkout whose ``calimero_devnet`` the node runs (benchmarks compare two).
    """
    home.mkdir(parents=True, exist_ok=True)
    command, env = node_command(home, *args), node_env(repo)
    started = time.perf_counter()
    with (home / "stderr.txt").open("ab") as stderr:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=repo)
    try:
        assert proc.stdout is not None
        ready = json.loads(_read_line(proc.stdout, timeout))
    except BaseException:
        proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
        raise
    assert ready["event"] == "ready", ready
    return NodeProcess(proc, ready, home, time.perf_counter() - started)


def _read_line(stream: IO[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([stream], [], [], remaining)[0]:
            raise TimeoutError(f"no ready line within {timeout} s (got {line!r})")
        chunk = os.read(stream.fileno(), 4096)
        if not chunk:
            raise RuntimeError(f"the node exited before it was ready (got {line!r})")
        line += chunk
    return line.decode("utf-8")


def execute(client: httpx.Client, ctx: str, method: str, args: Any = None) -> Any:
    """Run ``execute`` and return its ``result`` (the test fails on a JSON-RPC error)."""
    params = {"contextId": ctx, "method": method, "argsJson": args}
    body = {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}
    answer = client.post("/jsonrpc", json=body).json()
    assert "result" in answer, answer
    return answer["result"]["output"]


def admin(client: httpx.Client, verb: str, path: str, body: Any = None) -> Any:
    """Call the admin API and return ``data`` (the test fails on an error status)."""
    response = client.request(verb, f"/admin-api/{path}", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def deploy_kv_store(client: httpx.Client, tmp_path: Path) -> str:
    """Install the WAT kv-store from a file and create a context; return its id."""
    wasm = tmp_path / "kv_store.wasm"
    wasm.write_bytes(load_wat("kv_store"))
    app = admin(client, "POST", "install-dev-application", {"path": str(wasm)})
    ctx = admin(client, "POST", "contexts", {"applicationId": app["applicationId"]})
    return str(ctx["contextId"])
