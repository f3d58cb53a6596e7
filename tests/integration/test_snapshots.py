"""Cluster snapshots on real processes: save → write → restore, and a snapshot moved as a file.

Real broker (embedded amqtt), real node processes with real RocksDB stores, a real build
of (a copy of) the kv-store template. The owner's library (``Cluster``, then ``open_cluster``
with ``from_snapshot``) in one test; the ``devnet snapshot`` commands against a
``devnet up --detach`` manager in the other.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from calimero_devnet.cluster.manager import open_cluster
from calimero_devnet.cluster.snapshots.folder import snapshot_dir
from calimero_devnet.config.load import load_config
from calimero_devnet.config.model import Overrides
from tests.integration.conftest import devnet_cli

pytestmark = pytest.mark.integration
NODES = ("node-1", "node-2", "node-3")
REPO = Path(__file__).resolve().parents[2]


def make_project(root: Path) -> Path:
    """A devnet.toml with three nodes and a copy of the kv-store template."""
    shutil.copytree(REPO / "templates" / "kv-store", root / "app",
                    ignore=shutil.ignore_patterns("build", "node_modules"))  # fmt: skip
    (root / "devnet.toml").write_text(
        '[cluster]\nname = "snap"\ndata_dir = "data"\n[nodes]\ncount = 3\n[[apps]]\npath = "app"\n'
    )
    return root / "devnet.toml"


def add_hello(app: Path) -> None:
    """A newer build of the app: one more view, the same state layout."""
    source = app / "src" / "index.ts"
    text = source.read_text().rstrip().removesuffix("}")
    source.write_text(text + '\n  @View()\n  hello(): string {\n    return "v2";\n  }\n}\n')


async def test_a_restore_undoes_every_later_write_on_every_node(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    config = load_config(project, Overrides(fresh=True))
    async with open_cluster(config, control=False) as cluster:
        await cluster.call("node-1", "set", {"key": "a", "value": "1"})
        await cluster.call("node-2", "set", {"key": "b", "value": "2"})
        await cluster.wait_value("entries", None, 20, expected={"a": "1", "b": "2"})
        saved = await cluster.save_snapshot("two-keys")
        assert [node.name for node in saved.nodes] == list(NODES)

        await cluster.call("node-3", "set", {"key": "c", "value": "3"})
        await cluster.call("node-1", "set", {"key": "a", "value": "changed"})
        await cluster.wait_value("entries", None, 20,
                                 expected={"a": "changed", "b": "2", "c": "3"})  # fmt: skip

        await asyncio.to_thread(add_hello, tmp_path / "app")
        assert await cluster.redeploy("app") is not None  # a newer build than the snapshot's

        await cluster.restore_snapshot("two-keys")
        for node in NODES:  # the later writes are gone everywhere, the earlier ones back
            assert await cluster.call(node, "entries") == {"a": "1", "b": "2"}, node
            assert await cluster.call(node, "hello") == "v2", node  # the newer build on top
        status = await cluster.status()
        heads = {tuple(view.heads) for view in status.views}
        assert len(heads) == 1, status.views  # converged: one set of heads on every node
        # Writes after the restore replicate as before.
        await cluster.call("node-2", "set", {"key": "d", "value": "4"})
        await cluster.wait_value("get", {"key": "d"}, 20, expected="4")

    # `devnet up --from-snapshot` on a newer build: the snapshot's state, the new code on top.
    config = load_config(project, Overrides(from_snapshot="two-keys"))
    async with open_cluster(config, control=False) as cluster:
        for node in NODES:
            assert await cluster.call(node, "entries") == {"a": "1", "b": "2"}, node
            assert await cluster.call(node, "hello") == "v2", node


def test_snapshot_commands_against_a_detached_cluster(
    detached: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*argv: str) -> tuple[int, str]:
        return devnet_cli(capsys, detached, *argv)

    def value(key: str, node: str = "node-2") -> object:
        code, out = run("call", node, "get", json.dumps({"key": key}))
        assert code == 0, out
        return json.loads(out)

    assert run("call", "node-1", "set", '{"key": "x", "value": "1"}')[0] == 0
    assert run("wait-converged", "--timeout", "20")[0] == 0
    code, out = run("snapshot", "save", "one")
    assert code == 0, out
    assert "snapshot one saved: 2 nodes" in out
    archive = tmp_path / "one.tar.gz"
    code, out = run("snapshot", "export", "one", str(archive))
    assert code == 0, out
    assert archive.is_file(), out
    code, out = run("snapshot", "import", str(archive), "--name", "carried")
    assert code == 0, out
    assert "every checksum verified" in out

    assert run("call", "node-1", "set", '{"key": "y", "value": "2"}')[0] == 0
    assert run("wait-converged", "--timeout", "20")[0] == 0
    code, out = run("snapshot", "restore", "carried")
    assert code == 0, out
    assert (value("x"), value("y"), value("y", "node-1")) == ("1", None, None)

    code, out = run("snapshot", "restore", "nope")
    assert code == 2, out
    assert "no snapshot named 'nope'" in out, out
    (snapshot_dir(detached, "one") / "nodes" / "node-1" / "store" / "CURRENT").write_text("x")
    code, out = run("snapshot", "restore", "one")
    assert code == 2, out
    assert "snapshot one is damaged" in out, out
    assert value("x") == "1"  # refused before anything stopped
    code, out = run("snapshot", "list", "--json")
    assert [entry["name"] for entry in json.loads(out)] == ["carried", "one"]
    assert run("snapshot", "rm", "one")[0] == 0
