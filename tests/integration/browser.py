"""A headless Chromium driven over the DevTools protocol: open a page, watch its
WebSocket frames, press keys, take a screenshot. Only what the web UI test needs.

Chromium comes from Debian (``./dev setup`` installs it); the flags keep it off this
machine's closed network and let it run as root.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = (
    "--headless",
    "--no-sandbox",  # tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",  # Chromium picks one and writes it to DevToolsActivePort
)


def chromium_path() -> str:
    """The browser, or a clear failure saying how to get it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise AssertionError("chromium is not installed: run ./dev setup (it apt-gets chromium)")
    return found


class Page:
    """One browser tab over a DevTools WebSocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._next_id = 0
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.frames: list[str] = []  # WebSocket frames the page received, as text
        self._reader = asyncio.create_task(self._read())

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a DevTools method and wait for its result."""
        self._next_id += 1
        reply = self._replies[self._next_id] = asyncio.get_running_loop().create_future()
        await self._socket.send_json({"id": self._next_id, "method": method, "params": params})
        return await asyncio.wait_for(reply, 30)

    async def _read(self) -> None:
        async for message in self._socket:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self._replies:
                self._replies.pop(data["id"]).set_result(data.get("result", {}))
            elif data.get("method") == "Network.webSocketFrameReceived":
                self.frames.append(_frame_text(data["params"]["response"]))

    def received(self) -> str:
        """Everything the page's own WebSockets brought, joined."""
        return "".join(self.frames)

    async def until_received(self, text: str, within: float) -> None:
        """Wait until ``text`` came over the page's WebSockets; fail saying what did."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while text not in self.received():
            if loop.time() > deadline:
                tail = self.received()[-300:]
                raise AssertionError(f"{text!r} not received within {within} s; last: {tail!r}")
            await asyncio.sleep(0.1)

    async def press(self, key: str) -> None:
        """Type one printable character into the terminal, as a user at the keyboard would."""
        focus = "document.querySelector('.xterm-helper-textarea').focus()"  # xterm.js's input
        await self.send("Runtime.evaluate", expression=focus)
        for kind in ("keyDown", "char", "keyUp"):
            await self.send("Input.dispatchKeyEvent", type=kind, text=key, key=key)

    async def screenshot(self) -> bytes:
        """The page as a PNG."""
        shot = await self.send("Page.captureScreenshot", format="png")
        return base64.b64decode(shot["data"])

    def close(self) -> None:
        self._reader.cancel()


def _frame_text(response: dict[str, Any]) -> str:
    payload = str(response["payloadData"])
    if response.get("opcode") == 2:  # binary frames come base64-encoded
        return base64.b64decode(payload).decode("utf-8", "replace")
    return payload


@contextlib.asynccontextmanager
async def open_page(url: str, width: int = 1400, height: int = 900) -> AsyncIterator[Page]:
    """A fresh headless Chromium showing ``url``; everything is gone afterwards."""
    with tempfile.TemporaryDirectory(prefix="devnet-chromium-") as profile:
        argv = [chromium_path(), *FLAGS, f"--user-data-dir={profile}",
                f"--window-size={width},{height}", "about:blank"]  # fmt: skip
        browser = await asyncio.create_subprocess_exec(
            *argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            port = await _devtools_port(Path(profile), browser)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/json/list") as answer:
                    targets = await answer.json()
                target = next(t for t in targets if t["type"] == "page")
                async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                    page = Page(ws)
                    await page.send("Network.enable")
                    await page.send("Page.enable")
                    await page.send("Page.navigate", url=url)
                    try:
                        yield page
                    finally:
                        page.close()
        finally:
            browser.terminate()
            await asyncio.wait_for(browser.wait(), 10)


async def _devtools_port(profile: Path, browser: asyncio.subprocess.Process) -> int:
    marker = profile / "DevToolsActivePort"
    for _ in range(300):
        if marker.exists() and marker.read_text().strip():
            return int(marker.read_text().split()[0])
        if browser.returncode is not None:
            raise AssertionError(f"chromium exited at start ({browser.returncode})")
        await asyncio.sleep(0.05)
    raise AssertionError("chromium did not open its DevTools port within 15 s")
