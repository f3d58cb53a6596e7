"""A node whose disk fills up: writes are refused plainly, nothing acknowledged is lost,
reads go on, and writes resume by themselves once there is room again.

The node's home is a small tmpfs the test mounts (the tests run as root, as CI does) and
grows afterwards with ``mount -o remount``: a real ENOSPC from RocksDB, no fake.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures import load_wat
from tests.integration.node_process import admin, execute, start_node
from tests.toolchain.sdk_helpers import TEMPLATES, build_copy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
SMALL, ROOMY = "12m", "96m"
VALUE = "x" * 4_000


def mount_tmpfs(where: Path, size: str, *options: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    argv = ["mount", "-t", "tmpfs", "-o", ",".join((f"size={size}", *options)), "tmpfs", str(where)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"this test mounts a tmpfs (needs root): {done.stderr.strip()}"


@pytest.fixture
def small_home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "node"
    mount_tmpfs(home, SMALL)
    try:
        yield home
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)


def app_wasm(kind: str, tmp_path: Path) -> Path:
    if kind == "js":
        return build_copy(TEMPLATES / "kv-store", tmp_path / "apps").wasm_path
    wasm = tmp_path / "kv_store.wasm"
    wasm.write_bytes(load_wat("kv_store"))
    return wasm


def set_key(client: httpx.Client, ctx: str, key: str) -> dict[str, Any]:
    params = {"contextId": ctx, "method": "set", "argsJson": {"key": key, "value": VALUE}}
    body = {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}
    answer: dict[str, Any] = client.post("/jsonrpc", json=body).json()
    return answer


@pytest.mark.parametrize("kind", ["wat", "js"])
def test_a_full_disk_refuses_writes_keeps_reads_and_recovers(
    kind: str, small_home: Path, tmp_path: Path
) -> None:
    wasm = shutil.copy(app_wasm(kind, tmp_path), tmp_path / "app.wasm")
    node = start_node(small_home, "--index", "3")
    try:
        with httpx.Client(base_url=node.url, timeout=60) as client:
            app = admin(client, "POST", "install-dev-application", {"path": str(wasm)})
            ctx = admin(client, "POST", "contexts", {"applicationId": app["applicationId"]})
            ctx_id = str(ctx["contextId"])
            acked: list[str] = []
            while True:  # until the disk is full
                answer = set_key(client, ctx_id, f"k{len(acked)}")
                if "error" in answer:
                    break
                acked.append(f"k{len(acked)}")
                assert len(acked) < 20_000, "the disk never filled"
            refused = answer["error"]
            assert "disk is full" in refused["data"], refused
            assert "Nothing of this call was stored" in refused["data"]
            assert "Traceback" not in refused["data"]
            assert "error" in set_key(client, ctx_id, "still-full")  # refused again, plainly
            # reads go on, and the refused writes left nothing behind
            assert execute(client, ctx_id, "get", {"key": acked[-1]}) == VALUE
            assert execute(client, ctx_id, "get", {"key": f"k{len(acked)}"}) is None
            assert execute(client, ctx_id, "get", {"key": "still-full"}) is None

            subprocess.run(["mount", "-o", f"remount,size={ROOMY}", str(small_home)], check=True)
            assert "result" in set_key(client, ctx_id, "after"), node.log()[-3000:]
            assert execute(client, ctx_id, "get", {"key": "after"}) == VALUE
            problems = admin(client, "GET", f"contexts/{ctx_id}/consistency")["problems"]
            assert problems == []
        assert node.stop() == 0
        again = start_node(small_home, "--index", "3")  # and it all is on disk
        try:
            with httpx.Client(base_url=again.url, timeout=60) as client:
                assert all(execute(client, ctx_id, "get", {"key": k}) == VALUE for k in acked)
                assert execute(client, ctx_id, "get", {"key": "after"}) == VALUE
                assert execute(client, ctx_id, "get", {"key": "still-full"}) is None
        finally:
            assert again.stop() == 0
    finally:
        if node.proc.poll() is None:
            node.stop()
