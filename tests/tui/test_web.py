"""``devnet tui --web``: a page on another origin cannot open the UI's WebSocket (which would
let it drive the cluster) nor load the page; the UI's own loopback page can."""

from __future__ import annotations

import aiohttp
import pytest

from calimero_devnet.cluster.control.endpoint import serve_app
from calimero_devnet.tui.web import LoopbackServer


async def test_foreign_origins_are_refused_loopback_ones_served() -> None:
    server = LoopbackServer("false", host="127.0.0.1", port=0, title="devnet")
    async with serve_app(await server._make_app()) as url, aiohttp.ClientSession(url) as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect("/ws", headers={"Origin": "https://evil.example"})
        assert refused.value.status == 403
        async with http.get("/", headers={"Origin": "null"}) as page:
            assert page.status == 403
        async with http.get("/", headers={"Origin": url}) as page:
            assert page.status == 200
        async with http.get("/") as page:  # typed into the address bar: no Origin
            assert page.status == 200
