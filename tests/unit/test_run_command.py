"""``devnet run``'s own logic: the cluster it asks for, the stop watchdog, bad arguments."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any, cast

import pytest

from calimero_devnet.cluster.commands import run
from calimero_devnet.errors import ConfigError
from calimero_devnet.workflows.model import NodePlan, Workflow


def test_the_cluster_has_the_workflows_nodes_and_nothing_else(tmp_path: Path) -> None:
    flow = Workflow(Path("flows/my flow.yml"), "x", (NodePlan("a-1"), NodePlan("a-2", 7002)),
                    (), log_level="debug")  # fmt: skip
    config = run.config_for(flow, tmp_path / "data")
    assert [(n.name, n.index, n.rpc_port, n.log_level) for n in config.nodes] == [
        ("a-1", 0, 0, "debug"), ("a-2", 1, 7002, "debug")
    ]  # fmt: skip
    assert (config.apps, config.contexts, config.fresh) == ((), (), True)
    assert config.cluster.name == "my-flow"
    assert config.cluster.data_dir == (tmp_path / "data").resolve()
    assert config.broker.kind == "embedded"


def test_a_hung_stop_prints_the_waiting_tasks_and_kills_the_cluster(
    capsys: pytest.CaptureFixture[str],
) -> None:
    killed: list[bool] = []

    class Hung:
        async def force_stop(self) -> None:
            killed.append(True)

    async def main() -> None:
        run._stop_hung(cast(Any, Hung()))
        await asyncio.sleep(0.01)

    asyncio.run(main())
    err = capsys.readouterr().err
    assert "the cluster did not stop in 30 s; what it waits on:" in err
    assert "Stack for <Task" in err
    assert killed == [True]


def test_keep_takes_one_file() -> None:
    args = argparse.Namespace(files=[Path("a.yml"), Path("b.yml")], keep=True, data_dir=None,
                              junit=None)  # fmt: skip
    with pytest.raises(ConfigError, match="--keep keeps one cluster running"):
        run.run_files(args)
