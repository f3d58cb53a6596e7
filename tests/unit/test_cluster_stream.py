"""The control endpoint's event stream and apps, served for real on a loopback port over a
real ``EventHub``, read back through ``RemoteCluster`` (and raw, where the lines matter).

No node processes: the stand-in for ``Cluster`` is what the viewer routes use of it, a hub's
subscriptions and ``apps_info``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from calimero_devnet.cluster.control.endpoint import serve_app, viewer_app
from calimero_devnet.cluster.control.stream import NDJSON
from calimero_devnet.cluster.events import (
    QUEUE_LIMIT,
    ClusterEvent,
    EventHub,
    Problem,
    Step,
    Subscription,
)
from calimero_devnet.cluster.processes.statefile import ClusterState
from calimero_devnet.cluster.remote import RemoteCluster
from calimero_devnet.errors import ClusterError
from tests.unit.event_samples import SAMPLES

SET = {"name": "set", "kind": "call", "returns": None,
       "params": [{"name": "key", "type": "string", "optional": False}]}  # fmt: skip
APPS = [{"name": "kv-store", "appId": "3FSy", "version": 2, "kind": "typescript",
         "path": "/apps/kv-store", "manifest": {"methods": [SET]}}]  # fmt: skip


class Hub(EventHub):
    """A real hub that counts who came and went."""

    def __init__(self) -> None:
        super().__init__()
        self.joined = 0
        self.left = 0

    def subscribe(self) -> Subscription:
        self.joined += 1
        return super().subscribe()

    def unsubscribe(self, subscription: Subscription) -> None:
        self.left += 1
        super().unsubscribe(subscription)


class Viewed:
    """The part of ``Cluster`` the viewer routes use: ``events()`` is its hub's subscribe."""

    def __init__(self) -> None:
        self.hub = Hub()

    def events(self) -> Subscription:
        return self.hub.subscribe()

    def apps_info(self) -> list[dict[str, Any]]:
        return APPS


def remote_at(url: str | None, tmp_path: Path) -> RemoteCluster:
    return RemoteCluster(ClusterState("devnet", os.getpid(), tmp_path, None, control_url=url))


@contextlib.asynccontextmanager
async def serving(
    cluster: Viewed, tmp_path: Path, heartbeat: float = 2.0
) -> AsyncIterator[RemoteCluster]:
    async with serve_app(viewer_app(cluster, heartbeat=heartbeat)) as url:
        yield remote_at(url, tmp_path)


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def read_all(
    remote: RemoteCluster, into: list[ClusterEvent] | None = None, **options: float
) -> list[ClusterEvent]:
    """Every event ``remote`` streams, until the end (kept in ``into`` also if it fails)."""
    seen = [] if into is None else into
    async for event in remote.events(**options):
        seen.append(event)
    return seen


async def test_two_readers_each_get_every_event_and_the_end(tmp_path: Path) -> None:
    cluster = Viewed()
    async with serving(cluster, tmp_path) as remote:
        readers = [asyncio.create_task(read_all(remote)) for _ in range(2)]
        await until(lambda: cluster.hub.joined == 2)
        for index, event in enumerate(SAMPLES):
            cluster.hub.emit(event)
            if index % 5 == 0:
                await asyncio.sleep(0.01)  # some arrive alone, some in a burst
        cluster.hub.close()  # the cluster is gone: both streams end, cleanly
        one, two = await asyncio.wait_for(asyncio.gather(*readers), 5)
    assert one == two == list(SAMPLES)


async def test_a_quiet_stream_is_ndjson_heartbeats(tmp_path: Path) -> None:
    async with (
        serving(Viewed(), tmp_path, heartbeat=0.05) as remote,
        httpx.AsyncClient(base_url=remote.state.control_url or "") as client,
        client.stream("GET", "/events") as response,
    ):
        assert response.headers["content-type"] == NDJSON
        lines = response.aiter_lines()
        beats = [json.loads(await anext(lines)) for _ in range(2)]
    assert [beat["type"] for beat in beats] == ["Heartbeat", "Heartbeat"]
    assert all(abs(beat["ts"] - time.time()) < 5 for beat in beats)


async def test_heartbeats_keep_a_quiet_stream_alive(tmp_path: Path) -> None:
    cluster = Viewed()
    async with serving(cluster, tmp_path, heartbeat=0.05) as remote:
        reader = asyncio.create_task(read_all(remote, stall_after=0.3))
        await until(lambda: cluster.hub.joined == 1)
        await asyncio.sleep(1.0)  # silent for three times the stall limit
        cluster.hub.emit(Step("still here"))
        cluster.hub.close()
        assert await asyncio.wait_for(reader, 5) == [Step("still here")]


async def test_a_silent_manager_is_an_error(tmp_path: Path) -> None:
    async with serving(Viewed(), tmp_path, heartbeat=60) as remote:
        started = time.monotonic()
        with pytest.raises(ClusterError, match=r"stopped answering: no event and no heartbeat"):
            await read_all(remote, stall_after=0.3)
    assert time.monotonic() - started < 3


async def test_a_slow_reader_is_told_how_many_it_lost(tmp_path: Path) -> None:
    cluster = Viewed()
    async with (
        serving(cluster, tmp_path) as remote,
        httpx.AsyncClient(base_url=remote.state.control_url or "") as client,
        client.stream("GET", "/events") as raw,
    ):
        reader = asyncio.create_task(read_all(remote))
        await until(lambda: cluster.hub.joined == 2)
        for index in range(QUEUE_LIMIT + 25):  # no await: the streams cannot keep up
            cluster.hub.emit(Step(str(index)))
        cluster.hub.close()
        lines = [json.loads(line) async for line in raw.aiter_lines()]
        events = await asyncio.wait_for(reader, 10)
    assert lines[0] == {"type": "Dropped", "count": 25}
    assert [line["text"] for line in lines[1:]] == [str(i) for i in range(25, QUEUE_LIMIT + 25)]
    assert isinstance(events[0], Problem)
    assert "25 event(s) were dropped" in events[0].text
    assert events[1:] == [Step(str(i)) for i in range(25, QUEUE_LIMIT + 25)]


async def test_streams_end_cleanly_when_the_endpoint_shuts_down(tmp_path: Path) -> None:
    cluster = Viewed()
    async with serving(cluster, tmp_path) as remote:
        reader = asyncio.create_task(read_all(remote))
        await until(lambda: cluster.hub.joined == 1)
        started = time.monotonic()
    assert time.monotonic() - started < 3  # not aiohttp's wait for unfinished requests
    assert await asyncio.wait_for(reader, 5) == []
    assert cluster.hub.left >= 1


async def test_a_reader_that_leaves_is_unsubscribed(tmp_path: Path) -> None:
    cluster = Viewed()
    async with serving(cluster, tmp_path, heartbeat=0.05) as remote:
        events = remote.events()
        assert isinstance(events, AsyncGenerator)
        first = asyncio.create_task(anext(events))
        await until(lambda: cluster.hub.joined == 1)
        cluster.hub.emit(Step("one"))
        assert await first == Step("one")
        assert cluster.hub.left == 0
        await events.aclose()  # the reader goes away; the next heartbeat finds it gone
        await until(lambda: cluster.hub.left == 1)


async def test_lines_this_version_cannot_read_are_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [{"type": "Teleported", "node": "node-1"}, {"type": "Heartbeat", "ts": 1.0},
             "not json", {"type": "Step", "text": "read"}, {"type": "Step"}]  # fmt: skip
    async with serve_app(raw_stream(lines)) as url:
        events = await read_all(remote_at(url, tmp_path))
    assert events == [Step("read")]
    assert "unknown event type 'Teleported'" in caplog.text
    assert "Step.text is missing" in caplog.text
    assert "not JSON" in caplog.text


async def test_a_stream_broken_off_is_an_error(tmp_path: Path) -> None:
    async with serve_app(raw_stream([{"type": "Step", "text": "one"}], cut=True)) as url:
        seen: list[ClusterEvent] = []
        with pytest.raises(ClusterError, match="broke off"):
            await read_all(remote_at(url, tmp_path), seen)
    assert seen == [Step("one")]


def raw_stream(lines: list[Any], *, cut: bool = False) -> web.Application:
    """A manager that streams exactly ``lines`` (then ends, or drops the connection)."""

    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": NDJSON})
        await response.prepare(request)
        for line in lines:
            text = line if isinstance(line, str) else json.dumps(line)
            await response.write(text.encode() + b"\n")
        if cut:
            await asyncio.sleep(0.1)
            assert request.transport is not None
            request.transport.abort()  # as a killed manager's socket would
            return response
        await response.write_eof()
        return response

    app = web.Application()
    app.add_routes([web.get("/events", events)])
    return app


async def test_apps_come_through_as_the_cluster_gives_them(tmp_path: Path) -> None:
    async with serving(Viewed(), tmp_path) as remote:
        assert await remote.apps_info() == APPS


async def test_without_a_manager_both_say_so(tmp_path: Path) -> None:
    nothing = remote_at(None, tmp_path)
    with pytest.raises(ClusterError, match="serves no control endpoint"):
        await nothing.apps_info()
    with pytest.raises(ClusterError, match="serves no control endpoint"):
        await read_all(nothing)
    async with serve_app(web.Application()) as url:
        pass  # its port is free again: nobody answers there
    gone = remote_at(url, tmp_path)
    with pytest.raises(ClusterError, match="is unreachable"):
        await gone.apps_info()
    with pytest.raises(ClusterError, match="is unreachable"):
        await read_all(gone)
