"""The admin API against a fake core: shapes of RPC.md, and clear refusals."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from calimero_devnet.cluster.nodeclient import AdminError, NodeClient
from calimero_devnet.ids import from_b58, to_b58
from tests.node.fake_core import WASM_MAGIC, FakeCore
from tests.node.rpc_harness import Harness, running_node

WASM = WASM_MAGIC + b"rest of a module"
JSON_HEADERS = {"Content-Type": "application/json"}  # the node refuses other bodies


@pytest.fixture
async def fake() -> FakeCore:
    return FakeCore()


@pytest.fixture
async def node(fake: FakeCore, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_node(fake, tmp_path / "home", max_body=4096) as harness:
        yield harness


@pytest.fixture
def wasm_file(tmp_path: Path) -> Path:
    path = tmp_path / "app.wasm"
    path.write_bytes(WASM)
    return path


async def install(node: Harness, path: Path) -> bytes:
    status, body = await node.admin("POST", "install-dev-application", {"path": str(path)})
    assert status == 200, body
    return from_b58(body["data"]["applicationId"])


async def test_health_and_identity(node: Harness, fake: FakeCore) -> None:
    assert await node.admin("GET", "health") == (200, {"data": {"status": "alive", "bus": None}})
    identity = {"publicKey": to_b58(fake.public_key), "name": "fake"}
    assert await node.admin("GET", "identity") == (200, {"data": identity})


async def test_install_by_path_and_list(node: Harness, wasm_file: Path) -> None:
    body = {"path": str(wasm_file), "metadata": [1, 2]}
    status, answer = await node.admin("POST", "install-dev-application", body)
    assert status == 200
    status, listed = await node.admin("GET", "applications")
    app = listed["data"]["apps"][0]
    assert app["id"] == answer["data"]["applicationId"]
    assert (app["size"], app["source"], app["metadata"]) == (
        len(WASM),
        f"file://{wasm_file}",
        [1, 2],
    )
    assert "set" in app["methods"]


async def test_an_uploaded_app_is_installed_from_its_bytes(
    node: Harness, wasm_file: Path, tmp_path: Path
) -> None:
    assert node.node.ready is not None
    async with NodeClient("far", node.node.ready.url, upload=True) as far:
        app_id = await far.install(str(wasm_file))  # the bytes go, not the path
        _, listed = await node.admin("GET", "applications")
        assert listed["data"]["apps"][0]["source"] == "upload:"
        assert from_b58(app_id) == await install(node, wasm_file)
        text = tmp_path / "notes.wasm"
        text.write_bytes(b"not a module")
        with pytest.raises(AdminError, match="not a WASM module") as bad:
            await far.install(str(text))
        assert bad.value.status == 400
        big = tmp_path / "big.wasm"
        big.write_bytes(WASM_MAGIC + bytes(8192))  # over this node's max_body of 4096
        with pytest.raises(AdminError, match="larger than 4096 bytes") as large:
            await far.install(str(big))
        assert large.value.status == 413


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"path": "app.wasm"}, 400, "not absolute"),
        ({"path": "/no/such/app.wasm"}, 404, "no file at /no/such/app.wasm"),
        ({"path": "/"}, 400, "/ is not a .wasm file"),
        ({"path": "/tmp"}, 400, "/tmp is not a .wasm file"),
        ({}, 400, "path must be"),
        ({"path": "/tmp/x.wasm", "metadata": "zz"}, 400, "metadata must be a list"),
    ],
)
async def test_install_by_path_refusals(
    node: Harness, body: dict[str, Any], status: int, needle: str
) -> None:
    got, answer = await node.admin("POST", "install-dev-application", body)
    assert got == status
    assert needle in answer["error"]


@pytest.mark.parametrize(
    ("name", "needle"),
    [("/a\0b.wasm", "holds a NUL character"), ("/\ud800.wasm", "is not a file name")],
)
async def test_a_path_no_file_can_have_is_a_400_not_a_500(
    node: Harness, name: str, needle: str
) -> None:  # found by tests/node/test_rpc_fuzz.py: os.open raised ValueError/UnicodeError
    for route, body in (("install-dev-application", {"path": name}),
                        ("install-application", {"url": f"file://{name}"})):  # fmt: skip
        got, answer = await node.admin("POST", route, body)
        assert (got, needle in answer["error"]) == (400, True), answer


SHADOW_LIKE = "daemon:*:19000:0:99999:7:::"  # what a node must never echo


async def install_path(node: Harness, path: Path) -> tuple[int, str]:
    status, answer = await node.admin("POST", "install-dev-application", {"path": str(path)})
    return status, answer.get("error", "")


async def test_install_refuses_a_file_not_named_wasm_before_opening_it(
    node: Harness, tmp_path: Path
) -> None:
    path = tmp_path / "shadow"
    path.write_text(SHADOW_LIKE)
    path.chmod(0)  # were it opened, the answer would be 403
    status, error = await install_path(node, path)
    assert (status, "is not a .wasm file" in error) == (400, True), error


@pytest.mark.parametrize("url", [False, True])
async def test_a_non_wasm_file_is_refused_without_echoing_it(
    node: Harness, tmp_path: Path, url: bool
) -> None:
    path = tmp_path / "secret.wasm"
    path.write_text(SHADOW_LIKE)
    if url:
        got, answer = await node.admin("POST", "install-application", {"url": path.as_uri()})
        status, error = got, answer["error"]
    else:
        status, error = await install_path(node, path)
    assert status == 400
    assert "is not a WebAssembly module" in error
    assert "daemon" not in error
    assert "19000" not in error


async def test_install_refuses_what_is_not_a_regular_file(node: Harness, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.wasm"
    os.mkfifo(fifo)  # opening it for reading would block without a writer
    zero = tmp_path / "zero.wasm"
    zero.symlink_to("/dev/zero")  # endless
    for path in (fifo, zero):
        status, error = await install_path(node, path)
        assert (status, "is not a regular file" in error) == (400, True), error
    folder = tmp_path / "dir.wasm"
    folder.mkdir()
    assert await install_path(node, folder) == (400, f"{folder} is a directory, not a .wasm file")


async def test_install_by_file_url(node: Harness, wasm_file: Path) -> None:
    status, answer = await node.admin("POST", "install-application", {"url": wasm_file.as_uri()})
    assert status == 200
    assert from_b58(answer["data"]["applicationId"])


async def test_install_by_http_url(node: Harness) -> None:
    async def serve_wasm(_: web.Request) -> web.Response:
        return web.Response(body=WASM)

    app = web.Application()
    app.router.add_get("/app.wasm", serve_wasm)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        for path, status in (("/app.wasm", 200), ("/missing.wasm", 502)):
            body = {"url": f"http://127.0.0.1:{port}{path}"}
            got, answer = await node.admin("POST", "install-application", body)
            assert got == status, answer
        assert "answered HTTP 404" in answer["error"]
    finally:
        await runner.cleanup()


async def test_install_by_http_checks_what_it_fetches(node: Harness) -> None:
    async def answer(request: web.Request) -> web.StreamResponse:
        targets = {"/to-wasm": "/app.wasm", "/to-file": "file:///etc/passwd", "/loop": "/loop"}
        if request.path in targets:
            raise web.HTTPFound(targets[request.path])
        return web.Response(body=WASM if request.path == "/app.wasm" else SHADOW_LIKE.encode())

    app = web.Application()
    app.router.add_get("/{name}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    cases = [
        ("/to-wasm", 200, ""),  # a redirect to http(s) is followed
        ("/secret", 400, "is not a WebAssembly module"),
        ("/to-file", 502, "redirects to a file URL; only http(s) is followed"),
        ("/loop", 502, "redirects more than 5 times"),
    ]
    try:
        port = runner.addresses[0][1]
        for path, status, needle in cases:
            body = {"url": f"http://127.0.0.1:{port}{path}"}
            got, reply = await node.admin("POST", "install-application", body)
            assert got == status, reply
            assert needle in reply.get("error", ""), reply
            assert "daemon" not in str(reply)
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("ftp://x/app.wasm", "only file://"),
        ("file://host/app.wasm", "names host"),
        (3, "url must"),
        ("http://[::1", "does not parse"),  # found by test_rpc_fuzz: was a 500
    ],
)
async def test_install_by_url_refusals(node: Harness, url: Any, needle: str) -> None:
    status, answer = await node.admin("POST", "install-application", {"url": url})
    assert status == 400
    assert needle in answer["error"]


CreateCase = tuple[dict[str, Any], bytes, bytes | None]


@pytest.mark.parametrize(
    "case",
    [
        ({}, b"{}", None),
        ({"initializationParams": list(b'{"a":1}')}, b'{"a":1}', None),
        ({"initializationParams": {"a": 1}}, b'{"a":1}', None),
        ({"contextSeed": "demo"}, b"{}", b"demo"),
        ({"contextSeed": "ab" * 32}, b"{}", b"\xab" * 32),
    ],
)
async def test_create_context(
    node: Harness, fake: FakeCore, wasm_file: Path, case: CreateCase
) -> None:
    extra, params, seed = case
    app_id = await install(node, wasm_file)
    body = {"applicationId": to_b58(app_id), **extra}
    status, answer = await node.admin("POST", "contexts", body)
    assert status == 200
    assert answer["data"]["memberPublicKey"] == to_b58(fake.public_key)
    assert fake.created == [(app_id, params, seed)]
    ctx = answer["data"]["contextId"]
    status, one = await node.admin("GET", f"contexts/{ctx}")
    assert one["data"]["id"] == ctx
    assert one["data"]["applicationId"] == to_b58(app_id)
    assert set(one["data"]) >= {"rootHash", "dagHeads", "pending", "deltaCount"}
    assert (await node.admin("GET", "contexts"))[1]["data"]["contexts"] == [one["data"]]
    consistency = await node.admin("GET", f"contexts/{ctx}/consistency")
    assert consistency == (200, {"data": {"contextId": ctx, "problems": []}})


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"applicationId": 5}, "applicationId must be"),
        ({"applicationId": "abc"}, "decodes to"),
        ({"applicationId": to_b58(bytes(32)), "initializationParams": [300]}, "0..255"),
        ({"applicationId": to_b58(bytes(32)), "contextSeed": 12}, "contextSeed must be"),
    ],
)
async def test_create_context_refusals(node: Harness, body: dict[str, Any], needle: str) -> None:
    status, answer = await node.admin("POST", "contexts", body)
    assert status == 400
    assert needle in answer["error"]


async def test_unknown_context_is_404(node: Harness) -> None:
    status, answer = await node.admin("GET", f"contexts/{to_b58(bytes(32))}")
    assert status == 404
    assert "not found" in answer["error"]
    assert (await node.admin("GET", "contexts/xyz"))[0] == 400


@pytest.mark.parametrize("path", [f"contexts/{to_b58(bytes(32))}/join", "contexts/sync"])
async def test_replication_endpoints_need_a_broker(node: Harness, path: str) -> None:
    status, answer = await node.admin("POST", path, {})
    assert status == 501
    assert "started without a broker" in answer["error"]


@pytest.mark.parametrize(
    ("raw", "status", "needle"),
    [
        (b"{oops", 400, "not valid JSON"),
        (b"[1]", 400, "got an array"),
        (b"x" * 5000, 413, "larger"),
    ],
)
async def test_bad_bodies(node: Harness, raw: bytes, status: int, needle: str) -> None:
    async with node.http.post("/admin-api/contexts", data=raw, headers=JSON_HEADERS) as resp:
        assert resp.status == status
        assert needle in (await resp.json())["error"]
