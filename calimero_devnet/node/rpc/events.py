"""Provides the WebSocket ``/ws`` event stream: subscribe by context, get ``StateMutation``s.

Client → node: ``{"id":1,"method":"subscribe"|"unsubscribe","params":{"contextIds":[..]}}``,
answered ``{"id":1,"result":{"contextIds":[every id now subscribed]}}``. Node → client, per
commit: ``{"id":null,"result":{"contextId":..,"type":"StateMutation","data":{"newRoot":..,
"events":[{"kind":..,"data":[bytes],"handler":..}]}}}``. A client that falls more than
``QUEUE_LIMIT`` messages behind is disconnected (close code 1008) rather than silently
missing commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import WSCloseCode, WSMsgType, web

from calimero_devnet.errors import NodeError, ParseError
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.rpc.replies import json_kind, loads_strict

if TYPE_CHECKING:
    from calimero_devnet.node.state.results import CommitNotice

log = logging.getLogger(__name__)
QUEUE_LIMIT = 1024
Message = dict[str, Any]


def state_mutation(notice: CommitNotice) -> Message:
    """The push message of one commit (RPC.md shape)."""
    root = None if notice.root_hash is None else to_b58(notice.root_hash)
    events = [
        {"kind": event.kind, "data": list(event.data), "handler": event.handler}
        for event in notice.events
    ]
    result = {
        "contextId": to_b58(notice.context_id),
        "type": "StateMutation",
        "data": {"newRoot": root, "events": events},
    }
    return {"id": None, "result": result}


class _Subscriber:
    """One WebSocket client: its context filter and its outgoing queue."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.contexts: set[bytes] = set()
        self.outbox: asyncio.Queue[Message] = asyncio.Queue(QUEUE_LIMIT)

    def command(self, text: str) -> Message:
        """Apply one client command and return its answer."""
        rid: Any = None
        try:
            request = loads_strict(text)
            if not isinstance(request, dict):
                raise ParseError(f"a command must be a JSON object, got {json_kind(request)}")
            rid = request.get("id")
            method = request.get("method")
            if method not in ("subscribe", "unsubscribe"):
                raise ParseError(f"unknown method {method!r}; use subscribe or unsubscribe")
            ids = _context_ids(request.get("params"))
            if method == "subscribe":
                self.contexts.update(ids)
            else:
                self.contexts.difference_update(ids)
        except ValueError as exc:
            return {"id": rid, "error": ParseError(f"not valid JSON: {exc}").to_json()}
        except NodeError as exc:
            return {"id": rid, "error": exc.to_json()}
        return {"id": rid, "result": {"contextIds": sorted(to_b58(c) for c in self.contexts)}}

    async def send_loop(self) -> None:
        """Send queued messages until the socket closes."""
        try:
            while not self.ws.closed:
                await self.ws.send_json(await self.outbox.get())
        except ConnectionError:  # the client went away; the reader side ends too
            log.debug("a /ws client disconnected while we were sending")


def _context_ids(params: Any) -> list[bytes]:
    ids = params.get("contextIds") if isinstance(params, dict) else None
    if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
        raise ParseError("params.contextIds must be a list of base58 context ids")
    return [from_b58(item, "context id") for item in ids]


class EventHub:
    """Fans commit notices out to the WebSocket clients subscribed to their context."""

    def __init__(self) -> None:
        self._inbox: asyncio.Queue[CommitNotice] = asyncio.Queue()
        self._subscribers: set[_Subscriber] = set()
        self._closing: set[asyncio.Task[None]] = set()

    def publish_nowait(self, notice: CommitNotice) -> None:
        """Queue a commit for fan-out; call on the event loop. Without a client connected,
        nothing is queued: no one subscribed before this commit could be owed it."""
        if self._subscribers:
            self._inbox.put_nowait(notice)

    async def run(self) -> None:
        """Fan out queued commits forever (a main-loop task)."""
        while True:
            notice = await self._inbox.get()
            wanting = [sub for sub in self._subscribers if notice.context_id in sub.contexts]
            if not wanting:
                continue  # the message is built only for someone (a heal commits thousands)
            message = state_mutation(notice)
            for sub in wanting:
                self._offer(sub, message)

    def _offer(self, sub: _Subscriber, message: Message) -> None:
        try:
            sub.outbox.put_nowait(message)
        except asyncio.QueueFull:
            log.warning("a /ws client is %d messages behind; disconnecting it", QUEUE_LIMIT)
            self._subscribers.discard(sub)
            task = asyncio.get_running_loop().create_task(self._close(sub, "too slow"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    @staticmethod
    async def _close(sub: _Subscriber, why: str) -> None:
        await sub.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=why.encode())

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The aiohttp handler of ``GET /ws``."""
        ws = web.WebSocketResponse(heartbeat=30.0)
        await ws.prepare(request)
        sub = _Subscriber(ws)
        self._subscribers.add(sub)
        sender = asyncio.get_running_loop().create_task(sub.send_loop(), name="ws-send")
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await sub.outbox.put(sub.command(msg.data))
        finally:
            self._subscribers.discard(sub)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        return ws

    async def close_all(self) -> None:
        """Close every client (node shutdown)."""
        for sub in list(self._subscribers):
            await sub.ws.close(code=WSCloseCode.GOING_AWAY, message=b"node shutting down")
