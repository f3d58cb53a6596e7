"""Provides the control endpoint's routes for viewers: ``GET /events`` and ``GET /apps``.

``GET /events`` streams every event from the moment the request arrives, as NDJSON
(``application/x-ndjson``): one ``event_to_json`` object per line, from a subscription of
its own, so concurrent streams each get every event. Two more kinds of line:

* ``{"type": "Heartbeat", "ts": <unix s>}`` after ``HEARTBEAT_S`` without an event, so a
  reader can tell a quiet cluster from a dead manager (and a gone reader is noticed);
* ``{"type": "Dropped", "count": N}`` when the reader fell so far behind that its
  subscription dropped the N oldest events (``events.QUEUE_LIMIT``); it comes right
  before the first event after the gap.

The stream ends cleanly when the cluster closes or the endpoint shuts down, and stops
when the reader goes away. ``GET /apps`` answers ``{"data": [app, ...]}`` (``apps_info``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Protocol

from aiohttp import web

from calimero_devnet.cluster.events import Subscription
from calimero_devnet.cluster.events_json import dropped_json, event_to_json, heartbeat_json

log = logging.getLogger(__name__)
HEARTBEAT_S = 2.0
NDJSON = "application/x-ndjson"


class Observed(Protocol):
    """What the viewer routes need of a cluster (``handle.Cluster`` is one)."""

    def events(self) -> Subscription:
        """A subscription to every event from now on."""
        ...

    def apps_info(self) -> list[dict[str, Any]]:
        """Every app: name, id, version, kind, path and ABI manifest."""
        ...


def _line(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


class StreamApi:
    """``GET /events`` and ``GET /apps`` over one ``Observed`` (see the module docstring)."""

    def __init__(self, cluster: Observed, *, heartbeat: float = HEARTBEAT_S) -> None:
        """Serve ``cluster``; a silent stream gets a heartbeat every ``heartbeat`` seconds."""
        self._cluster = cluster
        self._heartbeat = heartbeat
        self._open: set[Subscription] = set()

    def routes(self) -> list[web.RouteDef]:
        """The two routes."""
        return [web.get("/events", self.events), web.get("/apps", self.apps)]

    async def apps(self, _: web.Request) -> web.Response:
        """Every app the cluster runs, with its ABI manifest."""
        return web.json_response({"data": self._cluster.apps_info()})

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Stream every event from now on, one JSON object per line."""
        subscription = self._cluster.events()  # first: nothing emitted from now on is missed
        self._open.add(subscription)
        response = web.StreamResponse(headers={"Content-Type": NDJSON, "Cache-Control": "no-store"})
        try:
            await response.prepare(request)
            await self._pump(subscription, response)
            await response.write_eof()
        except ConnectionResetError:  # aiohttp's ClientConnectionResetError too
            log.debug("an event stream reader went away")
        finally:
            self._open.discard(subscription)
            subscription.close()
        return response

    async def _pump(self, subscription: Subscription, response: web.StreamResponse) -> None:
        """Write events (and heartbeats, drop notices) until the subscription ends."""
        reported = 0
        while True:
            try:
                event = await asyncio.wait_for(subscription.receive(), self._heartbeat)
            except TimeoutError:
                await response.write(_line(heartbeat_json()))  # fails once the reader is gone
                continue
            if event is None:
                return
            if subscription.dropped > reported:  # the lost ones all came before this event
                await response.write(_line(dropped_json(subscription.dropped - reported)))
                reported = subscription.dropped
            await response.write(_line(event_to_json(event)))

    async def shutdown(self, _: web.Application) -> None:
        """End every open stream cleanly (aiohttp's ``on_shutdown``), so none holds up the
        server's shutdown; the readers see the end of the stream."""
        for subscription in list(self._open):
            subscription.close()
