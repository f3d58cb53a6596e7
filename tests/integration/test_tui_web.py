"""``devnet tui --web PORT`` in a real headless Chromium, over a real detached cluster.

The browser loads the page textual-serve gives, its session runs ``devnet tui`` attached
to the cluster, and what that UI draws reaches the browser over the page's WebSocket: the
test reads those frames (the terminal is a canvas, so the DOM holds no text), presses a
key in the browser and sees the UI answer, and keeps a screenshot. Set DEVNET_WEB_SHOT to
a path to keep the screenshot there (docs/images/tui-web.png is made this way).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.integration.browser import open_page

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
DEVNET = [sys.executable, "-m", "calimero_devnet.cli"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def detached_cluster(tmp_path: Path) -> Iterator[Path]:
    data = tmp_path / "data"
    up = [*DEVNET, "up", "--detach", "--nodes", "2", "--data-dir", str(data), "--fresh"]
    subprocess.run(up, check=True, capture_output=True, timeout=120)
    try:
        yield data
    finally:
        down = [*DEVNET, "down", "--data-dir", str(data)]
        subprocess.run(down, check=False, capture_output=True, timeout=60)


@pytest.fixture
def web_ui(detached_cluster: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    argv = [*DEVNET, "tui", "--web", str(port), "--data-dir", str(detached_cluster)]
    with (tmp_path / "web.log").open("wb") as log:
        server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_serving(url, server, tmp_path / "web.log")
        yield url, server
    finally:
        server.terminate()
        server.wait(30)


def _wait_serving(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(200):
        if server.poll() is not None:
            raise AssertionError(f"devnet tui --web exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"devnet tui --web never answered on {url}: {log.read_text()[-2000:]}")


async def test_the_web_ui_shows_the_cluster_and_answers_keys(
    web_ui: tuple[str, subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    url, server = web_ui
    shot = Path(os.environ.get("DEVNET_WEB_SHOT", tmp_path / "tui-web.png"))
    async with open_page(url) as page:
        await page.until_received("CONVERGED", within=60)  # the attached UI, in the browser
        assert "node-1" in page.received()
        assert "node-2" in page.received()
        await asyncio.sleep(1.0)  # let the canvas catch up before the picture
        png = await page.screenshot()
        await page.press("?")  # a key typed in the browser reaches the app
        await page.until_received("every key binding", within=20)
        sessions = psutil.Process(server.pid).children(recursive=True)  # the tab's devnet tui
        server.kill()  # the server dies under its sessions: they must not linger
        await asyncio.to_thread(server.wait, 30)
    _, lingering = await asyncio.to_thread(psutil.wait_procs, sessions, 15)
    assert lingering == [], f"devnet tui sessions outlived their server: {lingering}"
    await asyncio.to_thread(shot.write_bytes, png)
    assert png.startswith(PNG_MAGIC)
    assert len(png) > 30_000  # a drawn UI, not textual-serve's splash (~14 KB)
