"""A cluster across two hosts: two network namespaces joined by a veth pair.

Host A runs mosquitto (on A's veth address only) and a 2-node cluster (`devnet up --detach
--broker`); host B runs `devnet node --join`. Every command is a real process inside its
namespace; the namespaces, the veth pair and every process are removed in finalizers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SUBNET = "10.231.{}.{}"
PORT = 18830
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@dataclass(frozen=True)
class Hosts:
    """Two namespaces and the address of each on the veth link."""

    a: str
    b: str
    addr_a: str
    addr_b: str

    def run(self, ns: str, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside namespace ``ns``; wait for it."""
        return subprocess.run(["ip", "netns", "exec", ns, *argv], check=False, text=True,
                              capture_output=True, timeout=timeout, env=_env())  # fmt: skip

    def start(self, ns: str, *argv: str, log: Path) -> subprocess.Popen[bytes]:
        """Start ``argv`` inside namespace ``ns`` in the background, output to ``log``."""
        with log.open("wb") as out:
            return subprocess.Popen(["ip", "netns", "exec", ns, *argv], stdout=out,
                                    stderr=subprocess.STDOUT, env=_env())  # fmt: skip


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _ip(*argv: str) -> None:
    subprocess.run(["ip", *argv], check=True, capture_output=True, timeout=10)


def _netns_permitted(probe: str) -> str | None:
    """None when ``ip netns add`` works here, else why not."""
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    done = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True,
                          check=False, timeout=10)  # fmt: skip
    if done.returncode != 0:
        return f"`ip netns add` is not permitted here: {done.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False, timeout=10)
    return None


@pytest.fixture
def hosts() -> Iterator[Hosts]:
    """Namespaces A and B, linked by a veth pair with one address in each."""
    tag = f"{os.getpid() % 10000}"
    why = _netns_permitted(f"dvprobe{tag}")
    if why is not None:
        pytest.skip(why)
    net = os.getpid() % 200 + 20  # a /24 of our own among concurrent runs
    found = Hosts(f"dvA{tag}", f"dvB{tag}", SUBNET.format(net, 1), SUBNET.format(net, 2))
    made: list[str] = []
    try:
        for ns in (found.a, found.b):
            _ip("netns", "add", ns)
            made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        _ip("link", "add", f"va{tag}", "netns", found.a, "type", "veth",
            "peer", "name", f"vb{tag}", "netns", found.b)  # fmt: skip
        for ns, veth, addr in ((found.a, f"va{tag}", found.addr_a),
                               (found.b, f"vb{tag}", found.addr_b)):  # fmt: skip
            _ip("-n", ns, "addr", "add", f"{addr}/24", "dev", veth)
            _ip("-n", ns, "link", "set", veth, "up")
        yield found
    finally:
        for ns in made:  # deleting a namespace deletes its end of the veth pair, and so both
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _wait_for(what: str, check: Callable[[], bool], timeout: float, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    tails = "\n".join(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}"
                      for log in logs if log.exists())  # fmt: skip
    pytest.fail(f"timed out waiting for {what}\n{tails}")


class Driver:
    """``netns_driver.py`` running in a namespace: one request, one answer."""

    def __init__(self, hosts: Hosts, data_dir: Path, log: Path) -> None:
        driver = str(Path(__file__).with_name("netns_driver.py"))
        with log.open("wb") as err:
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", hosts.a, sys.executable, driver, str(data_dir)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, env=_env(),
            )  # fmt: skip

    def ask(self, operation: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Run one ``RemoteCluster`` operation; ``{"ok": …}`` or ``{"error", "kind"}``."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps([operation, args, kwargs]) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the driver ended"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ok(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        """Run one operation that must succeed; its result."""
        answer = self.ask(operation, *args, **kwargs)
        assert "ok" in answer, f"{operation}{args}: {answer}"
        return answer["ok"]

    def close(self) -> None:
        """End the driver (its stdin closes)."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def test_a_node_joined_from_another_host_replicates_and_obeys_partitions(
    hosts: Hosts, tmp_path: Path
) -> None:
    broker_url = f"mqtt://{hosts.addr_a}:{PORT}"
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {PORT} {hosts.addr_a}\nallow_anonymous true\npersistence false\n")
    data_dir, far_home = tmp_path / "a" / "data", tmp_path / "b" / "far-1"
    data_dir.parent.mkdir()
    logs = [tmp_path / "mosquitto.log", tmp_path / "far-1.log", data_dir / "manager.log",
            tmp_path / "driver.log"]  # fmt: skip
    mosquitto = hosts.start(hosts.a, MOSQUITTO, "-c", str(conf), log=logs[0])
    far: subprocess.Popen[bytes] | None = None
    driver: Driver | None = None
    py = sys.executable

    def far_joined() -> bool:
        assert driver is not None
        found = driver.ok("status")
        nodes = {n["name"]: n for n in found["nodes"]}
        views = [v for v in found["views"] if v["node"] == "far-1"]
        return (nodes.get("far-1", {}).get("running") is True and bool(views)
                and all(v["error"] is None for v in views))  # fmt: skip

    def get(node: str, key: str) -> Any:
        assert driver is not None
        return driver.ok("call", node, "get", {"key": key})

    def everywhere(key: str, value: str) -> None:
        """Every member of the context, far-1 included, reads ``value``."""
        assert driver is not None
        driver.ok("wait_value", "get", {"key": key}, 20, expected=value)

    try:
        done = hosts.run(hosts.a, py, "-m", "calimero_devnet.cli", "up", "--detach",
                         "--nodes", "2", "--no-watch", "--broker", broker_url,
                         "--data-dir", str(data_dir))  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        far = hosts.start(hosts.b, py, "-m", "calimero_devnet.cli", "node", "--join", broker_url,
                          "--cluster", "devnet", "--name", "far-1", "--data-dir", str(far_home),
                          log=logs[1])  # fmt: skip
        driver = Driver(hosts, data_dir, logs[3])
        _wait_for("far-1 to be adopted and join the context", far_joined, 30, logs)
        listed = {n["name"]: n for n in driver.ok("status")["nodes"]}
        assert listed["far-1"]["remote"]  # the machine it runs on
        assert listed["far-1"]["pid"] is None
        assert listed["far-1"]["url"].startswith(f"http://{hosts.addr_b}:")
        assert listed["node-1"]["remote"] is None

        # A write on each side, visible on every node.
        driver.ok("call", "node-1", "set", {"key": "a", "value": "from-a"})
        driver.ok("call", "far-1", "set", {"key": "b", "value": "from-b"})
        everywhere("a", "from-a")
        everywhere("b", "from-b")
        assert (get("far-1", "a"), get("node-2", "b")) == ("from-a", "from-b")

        # A partition between the hosts: each side's write stays on its side.
        driver.ok("partition", [["node-1", "node-2"], ["far-1"]])
        driver.ok("call", "node-1", "set", {"key": "c", "value": "a-side"})
        driver.ok("call", "far-1", "set", {"key": "d", "value": "b-side"})
        _wait_for("node-2 to get c", lambda: get("node-2", "c") == "a-side", 15, logs)
        assert get("far-1", "c") is None  # the rule held at far-1's own bus adapter
        assert get("node-2", "d") is None  # and far-1's write was dropped on host A

        # Not ours to signal, nor to put back from a snapshot.
        refused = driver.ask("node_action", "far-1", "kill")
        assert refused.get("kind") == "ClusterError", refused
        assert "far-1 runs on" in refused["error"]
        assert "devnet cannot kill it" in refused["error"]
        driver.ok("save_snapshot", "s1")  # this machine's nodes only
        refused = driver.ask("restore_snapshot", "s1")
        assert "remote node(s) far-1 run on other machines" in refused.get("error", ""), refused

        # Healed: converged, with both writes everywhere.
        driver.ok("heal")
        driver.ok("wait_converged", 20)
        everywhere("c", "a-side")
        everywhere("d", "b-side")
        assert (get("far-1", "c"), get("node-1", "d")) == ("a-side", "b-side")
    finally:
        if driver is not None:
            driver.close()
        hosts.run(hosts.a, py, "-m", "calimero_devnet.cli", "down", "--data-dir", str(data_dir))
        if far is not None:
            _stop(far)
        _stop(mosquitto)
