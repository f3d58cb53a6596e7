"""A fuzz test of the node's HTTP surface (hypothesis), against one real node in this
process: the real NodeCore, store and wasmtime runtime serving the kv-store fixture app,
behind a bearer token (requests carry it, unless one of random ``Authorization`` values).

Random methods, paths, content types, origins and bodies (bytes, JSON of any shape, deep
nesting, huge numbers, lone surrogates, JSON-RPC and admin shapes with random parts) must
each get a JSON error or a valid reply: never a 500, never a traceback or a Python repr in
the body; and the node must still answer a good call afterwards.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calimero_devnet.ids import to_b58
from calimero_devnet.node.runtime import Limits, Runtime
from calimero_devnet.node.state.core import NodeCore
from tests.fixtures import load_wat
from tests.node.rpc_harness import running_node

FUEL = 20_000_000  # the kv-store's calls fit; a runaway loop ends fast
Served = tuple[str, str, str]  # base URL, a context id, its application id
LOOPS: dict[str, asyncio.AbstractEventLoop] = {}  # the served node's loop, by its URL
TOKEN = "fuzz-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LEAKS = re.compile(r"Traceback|File \"|<class '|object at 0x|<bound method|<function ")


def _serve(
    home: Path, ready: list[Served], stop: threading.Event, failed: list[BaseException]
) -> None:
    async def main() -> None:
        runtime = Runtime(home / "wasm-cache", limits=Limits(fuel=FUEL))
        core = NodeCore.open(home / "node", name="fuzz", index=1, runtime=runtime)
        async with running_node(core, home / "node", token=TOKEN) as node:
            assert node.node.ready is not None
            url = node.node.ready.url
            wasm = home / "kv.wasm"
            wasm.write_bytes(load_wat("kv_store"))
            async with httpx.AsyncClient(base_url=url, headers=AUTH) as http:
                path = {"path": str(wasm)}
                app = (await http.post("/admin-api/install-dev-application", json=path)).json()
                app_id = app["data"]["applicationId"]
                body = {"applicationId": app_id}
                ctx = (await http.post("/admin-api/contexts", json=body)).json()
            LOOPS[url] = asyncio.get_running_loop()
            ready.append((url, ctx["data"]["contextId"], app_id))
            await asyncio.to_thread(stop.wait)

    try:
        asyncio.run(main())
    except BaseException as exc:
        failed.append(exc)
        raise


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A real node on its own event loop in a thread (hypothesis drives a sync client)."""
    ready: list[Served] = []
    failed: list[BaseException] = []
    stop = threading.Event()
    home = tmp_path_factory.mktemp("fuzz")
    thread = threading.Thread(target=_serve, args=(home, ready, stop, failed), daemon=True)
    thread.start()
    for _ in range(600):
        if ready or failed or not thread.is_alive():
            break
        stop.wait(0.05)
    assert ready, failed
    yield ready[0]
    stop.set()
    thread.join(30)


# --- strategies -------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
SURROGATES = [b'"\\ud800"', b'{"\\udfff": 1}', b'"\xed\xa0\x80"', b'["\\ud83d"]']
HUGE = [b"1" + b"0" * 5000, b"1e999999", b"-1e400", b"123456789" * 500 + b".5", b"1" * 4400]


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def rpc_bodies(served: Served) -> st.SearchStrategy[Any]:
    """JSON-RPC requests with random parts, some close enough to reach ``execute``."""
    ctx = (
        st.sampled_from([served[1], "", "1", "!!", to_b58(bytes(32)), "z" * 5000])
        | st.text()
        | json_values
    )
    method = st.sampled_from(["get", "set", "len", "nope", "", "\udc80", "\ud800"]) | st.text()
    args = st.fixed_dictionaries({"key": st.text(), "value": st.text()}) | json_values
    params = st.fixed_dictionaries(
        {"contextId": ctx, "method": method, "argsJson": args},
        optional={"trace": json_values | st.booleans()},
    )
    request = st.fixed_dictionaries({
        "jsonrpc": st.sampled_from(["2.0", "1.0"]) | json_values,
        "id": json_values,
        "method": st.sampled_from(["execute", "nope"]) | st.text(),
        "params": params | json_values,
    })  # fmt: skip
    return request | st.lists(request | json_values, max_size=3)


FILE_NAMES = st.sampled_from([
    "/etc/passwd", "/nope.wasm", "rel.wasm", "/\ud800.wasm", "/a\0b.wasm", "/dev/zero.wasm",
    "/tmp", "/%2e%2e/x.wasm", "",
]) | st.text().map(lambda text: f"/{text}.wasm")  # fmt: skip
URLS = st.sampled_from([
    "http://127.0.0.1:1/x.wasm", "file:///etc/passwd", "file://host/x.wasm", "ftp://x/y.wasm",
    "http://[::1", "http://\ud800/x.wasm", "file:///%00.wasm", "file:///%ff.wasm",
]) | FILE_NAMES.map(lambda name: f"file://{name}") | st.text()  # fmt: skip


def admin_bodies(served: Served) -> st.SearchStrategy[Any]:
    """Admin request bodies with random parts."""
    return (
        st.fixed_dictionaries(
            {},
            optional={
                "path": FILE_NAMES | json_values,
                "url": URLS | json_values,
                "applicationId": st.sampled_from([served[2], ""]) | st.text() | json_values,
                "initializationParams": json_values,
                "contextSeed": json_values,
                "metadata": json_values,
            },
        )
        | json_values
    )


def bodies(served: Served) -> st.SearchStrategy[bytes | None]:
    as_json = (rpc_bodies(served) | admin_bodies(served)).map(
        lambda value: json.dumps(value).encode()
    )
    odd = st.sampled_from(SURROGATES + HUGE) | st.integers(1, 200_000).map(nested)
    return st.none() | st.binary(max_size=256) | as_json | odd


ROUTES = [
    ("POST", "/jsonrpc"), ("POST", "/jsonrpc"), ("POST", "/jsonrpc"), ("GET", "/ws"),
    ("GET", "/admin-api/health"), ("GET", "/admin-api/identity"),
    ("POST", "/admin-api/install-dev-application"), ("POST", "/admin-api/install-application"),
    ("GET", "/admin-api/applications"), ("POST", "/admin-api/contexts"),
    ("GET", "/admin-api/contexts"), ("POST", "/admin-api/contexts/sync"),
    ("GET", "/admin-api/contexts/{c}"), ("POST", "/admin-api/contexts/{c}/join"),
    ("GET", "/admin-api/contexts/{c}/sync"), ("GET", "/admin-api/contexts/{c}/consistency"),
    ("GET", "/admin-api/contexts/{c}/deltas"), ("GET", "/admin-api/contexts/{c}/deltas/{x}"),
    ("POST", "/admin-api/contexts/{c}/application"), ("DELETE", "/admin-api/contexts/{x}"),
]  # fmt: skip
QUERIES = st.sampled_from(["", "", "?limit=5", "?limit=-1", "?limit=99999999999999999999",
                           "?limit=abc", "?limit=", "?limit=1&limit=2", "?%ff=%00"])  # fmt: skip
METHODS = st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD", "TRACE",
                           "PROPFIND", "PURGE", "SEARCH", "REPORT", "LINK"])  # fmt: skip
# (Only methods the HTTP parser knows: it refuses others with a plain 400 before our code.)
CONTENT_TYPES = st.sampled_from([
    None, "application/json", "application/json; charset=utf-8",
    "application/json; charset=latin-1", "application/json; charset=nope", "APPLICATION/JSON",
    "text/plain", "multipart/form-data",
    "application/x-www-form-urlencoded", "application/json;;;", "*/*",
])  # fmt: skip
ORIGINS = st.sampled_from([
    None, "http://localhost:5173", "http://127.0.0.1", "https://evil.example", "null", "",
    "http://[::1", "http://localhost:99999",
])  # fmt: skip
AUTHORIZATIONS = st.sampled_from([
    None, "", "Bearer", f"bearer {TOKEN}", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
    f"Bearer {TOKEN[:-1]}", f"Bearer  {TOKEN}", "Bearer -",
]) | st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), min_size=1, max_size=40).map(
    lambda text: text.strip() or "x"
)  # fmt: skip
Request = tuple[str, str, bytes | None, dict[str, str]]


def segments(served: Served) -> st.SearchStrategy[str]:
    known = st.sampled_from(
        [served[1], "x", "", "%00", "..", to_b58(bytes(32)), "1" * 60, "2" * 300]
    )
    return known | st.text(max_size=12).map(lambda text: quote(text, safe=""))


def requests(served: Served) -> st.SearchStrategy[Request]:
    """(method, path, body, headers): two in three well-aimed (a route's own
    method, JSON, no Origin) so that they get past the guards into the handlers."""
    other = segments(served).filter(lambda seg: seg != served[1])

    def aimed(route: tuple[str, str], c: str, x: str, q: str, body: Any) -> Request:
        method, path = route
        raw = None if method != "POST" or body is None else body
        headers = AUTH | {"Content-Type": "application/json"}
        return method, path.replace("{c}", c).replace("{x}", x) + q, raw, headers

    def headers(content_type: str | None, origin: str | None, auth: str | None) -> dict[str, str]:
        sent = {"Content-Type": content_type} if content_type else {}
        sent |= {"Origin": origin} if origin is not None else {}
        return sent | ({"Authorization": auth} if auth is not None else AUTH)

    def body_for(route: tuple[str, str]) -> st.SearchStrategy[bytes | None]:
        """Mostly the body that route reads, with random parts; sometimes anything."""
        own = {"/jsonrpc": rpc_bodies(served),
               "/admin-api/install-dev-application": st.fixed_dictionaries({"path": FILE_NAMES}),
               "/admin-api/install-application": st.fixed_dictionaries({"url": URLS})}  # fmt: skip
        fitting = own.get(route[1], admin_bodies(served)).map(lambda v: json.dumps(v).encode())
        return fitting | fitting | bodies(served)

    well_aimed = st.sampled_from(ROUTES).flatmap(
        lambda route: st.builds(
            aimed, st.just(route), segments(served), other, QUERIES, body_for(route)
        )
    )
    routes = st.sampled_from([*ROUTES, ("GET", "/")])
    paths = st.builds(lambda route, c, x, q: route[1].replace("{c}", c).replace("{x}", x) + q,
                      routes, segments(served), other, QUERIES)  # fmt: skip
    anything = st.tuples(
        METHODS, paths, bodies(served), st.builds(headers, CONTENT_TYPES, ORIGINS, AUTHORIZATIONS)
    )
    return st.one_of(well_aimed, well_aimed, anything)


# --- the test ---------------------------------------------------------------------------------
def check_answer(method: str, response: httpx.Response) -> None:
    """A JSON error or a valid reply; nothing a bug would leave behind."""
    assert response.status_code != 500, response.text
    text = response.text
    assert not LEAKS.search(text), text
    if method == "HEAD" or response.status_code in (101, 204):
        return
    answer = json.loads(text)
    if response.status_code >= 400:
        error = answer.get("error") if isinstance(answer, dict) else None
        assert error, text  # {"error": message} or a JSON-RPC error object
    else:
        assert isinstance(answer, list) or {"data", "result", "error"} & set(answer), text


def good_calls(client: httpx.Client, app_id: str) -> Any:
    """Create a context (the fuzz may have deleted the first one), write to it, read back."""
    created = client.post("/admin-api/contexts", json={"applicationId": app_id})
    ctx = created.json()["data"]["contextId"]

    def execute(method: str, args: dict[str, str]) -> Any:
        params = {"contextId": ctx, "method": method, "argsJson": args}
        body = {"jsonrpc": "2.0", "id": 1, "method": "execute", "params": params}
        return client.post("/jsonrpc", json=body).json()["result"]["output"]

    assert execute("set", {"key": "k", "value": "v"}) is None
    return execute("get", {"key": "k"})


def test_random_requests_get_json_answers(served: Served) -> None:
    url, _, app_id = served
    with httpx.Client(base_url=url, timeout=30, headers=AUTH) as client:
        slow = [HealthCheck.too_slow, HealthCheck.data_too_large]  # big bodies on purpose

        @settings(max_examples=200, deadline=None, database=None, suppress_health_check=slow)
        @given(requests(served))
        def one(request: Request) -> None:
            method, path, body, headers = request
            response = client.request(method, path, content=body, headers=headers)
            check_answer(method, response)

        one()
        assert client.get("/admin-api/health").status_code == 200
        assert good_calls(client, app_id) == "v"


def ws_commands(served: Served) -> st.SearchStrategy[str]:
    """``/ws`` command texts: random text, random JSON, and near-miss subscribe commands."""
    ids = st.lists(segments(served) | st.just(served[1]), max_size=3) | json_values
    command = st.fixed_dictionaries(
        {"method": st.sampled_from(["subscribe", "unsubscribe", "nope"]) | json_values},
        optional={"id": json_values, "params": st.fixed_dictionaries({"contextIds": ids})
                  | json_values},
    )  # fmt: skip
    return st.text() | json_values.map(json.dumps) | command.map(json.dumps)


def test_random_event_stream_commands_get_json_answers(served: Served) -> None:
    url, ctx, _ = served
    loop = LOOPS[url]

    async def connect() -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
        session = aiohttp.ClientSession(base_url=url, headers=AUTH)
        return session, await session.ws_connect("/ws")

    def on_node_loop(coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(30)

    session, ws = on_node_loop(connect())

    async def ask(text: str) -> Any:
        await ws.send_str(text)
        return await ws.receive_json()

    @settings(max_examples=100, deadline=None, database=None)
    @given(ws_commands(served))
    def one(text: str) -> None:
        answer = on_node_loop(ask(text))
        assert not LEAKS.search(json.dumps(answer)), answer
        assert set(answer) in ({"id", "result"}, {"id", "error"}), answer

    try:
        one()
        good = json.dumps({"id": 1, "method": "subscribe", "params": {"contextIds": [ctx]}})
        assert ctx in on_node_loop(ask(good))["result"]["contextIds"]
    finally:
        on_node_loop(ws.close())
        on_node_loop(session.close())
