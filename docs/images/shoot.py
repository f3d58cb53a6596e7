"""Takes the README's screenshots of the UI over a real 3-node cluster (broker, nodes, app).

.venv/bin/python docs/images/shoot.py      # writes docs/images/tui-*.svg
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from calimero_devnet.config.load import load_config
from calimero_devnet.config.model import Overrides
from calimero_devnet.tui.app import DevnetApp
from calimero_devnet.tui.run import owner_app

HERE = Path(__file__).resolve().parent


async def until(app: DevnetApp, word: str, within: float = 60) -> None:
    """Wait until the headline says ``word``."""
    async with asyncio.timeout(within):
        while word not in app.headline():  # noqa: ASYNC110  (the screen)
            await asyncio.sleep(0.2)


async def shoot(data: Path) -> None:
    config = load_config(None, Overrides(nodes=3, data_dir=data, fresh=True))
    app = owner_app(config, watch=False)
    async with app.run_test(size=(160, 44)) as pilot:
        await until(app, "CONVERGED", 90)
        source = app.source
        assert source is not None
        for i, node in enumerate(["node-1", "node-2", "node-3", "node-1", "node-2"]):
            await source.call(node, "set", {"key": f"k{i}", "value": f"v{i}"})
        await pilot.pause(2)
        app.save_screenshot(str(HERE / "tui-main.svg"))
        await source.partition([["node-1", "node-2"], ["node-3"]])
        await source.call("node-1", "set", {"key": "left", "value": "L"})
        await source.call("node-3", "set", {"key": "right", "value": "R"})
        await until(app, "DIVERGED")
        await pilot.pause(1)
        app.save_screenshot(str(HERE / "tui-diverged.svg"))
        await source.heal()
        await until(app, "CONVERGED")
        app.show_view("dag")
        await pilot.pause(2)
        app.save_screenshot(str(HERE / "tui-dag.svg"))
        app.stop_cluster()
        while app.is_running:
            await pilot.pause(0.2)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(shoot(Path(tmp) / "data"))
