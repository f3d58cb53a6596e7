"""Provides fetching a context's application from a peer over the bus, and serving it.

A joiner that lacks the app of the context it joins asks a peer for it (``AppRequest``).
Only answers to a request this node sent are installed, and only when the bytes hash to
the application id asked for; anything else is logged and dropped. Every fetch ends in
one ``AppSettled`` (None on success), which wakes whoever waits for it.
"""

from __future__ import annotations

import logging

from calimero_devnet.errors import ApplicationNotFound, NodeError
from calimero_devnet.ids import sha256, to_b58
from calimero_devnet.node.replication.outbox import Outbox
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.sync.apps import AppRequest, AppResponse


class AppFetch:
    """The app fetches of one node (on the core's worker thread)."""

    def __init__(self, core: NodeCore, node: str, out: Outbox) -> None:
        """Install into ``core``; send as ``node``; queue messages into ``out``."""
        self._core = core
        self._node = node
        self._out = out
        self._asked: dict[bytes, str] = {}  # application -> peer asked

    def request(self, application: bytes, context: bytes, peer: str) -> None:
        """Ask ``peer`` for ``application`` (settled at once if it is installed already)."""
        if self._core.store.app(application) is not None:
            self._out.settle_app(application, None)
            return
        self._asked[application] = peer
        self._out.send(peer, AppRequest(self._node, context, application, self._node))

    def cancel(self, application: bytes) -> None:
        """Stop waiting for ``application`` (a later answer is ignored)."""
        self._asked.pop(application, None)

    def on_request(self, message: AppRequest) -> None:
        """Answer with the app's WASM, or empty bytes when it is not installed here."""
        wasm = self._core.store.app_blob(message.application) or b""
        reply = AppResponse(self._node, message.context, message.application, wasm)
        self._out.send(message.reply_to, reply)

    def on_response(self, message: AppResponse) -> tuple[bytes, NodeError | None] | None:
        """Install the app a peer sent, if we asked that peer and the hash matches; return
        how the fetch ended (None: the answer was not one we wait for)."""
        app = message.application
        if self._asked.get(app) != message.sender:
            return None  # unsolicited, or from a peer we did not ask
        del self._asked[app]
        error = self._install(message)
        self._out.settle_app(app, error)
        return app, error

    def _install(self, message: AppResponse) -> NodeError | None:
        app, where = to_b58(message.application), f"node {message.sender}"
        if not message.wasm:
            return ApplicationNotFound(
                f"{where} does not have application {app} either: install it on "
                f"{self._node}, then join again"
            )
        if sha256(message.wasm) != message.application:
            self._out.log(logging.WARNING, f"refused application {app} from {where}: bad hash")
            return ApplicationNotFound(
                f"{where} sent bytes whose sha256 is not application id {app}: refused; "
                f"install the app on {self._node} yourself, then join again"
            )
        try:
            self._core.install_application(message.wasm, source=f"peer:{message.sender}")
        except NodeError as exc:
            return exc
        self._out.log(logging.INFO, f"installed application {app} fetched from {where}")
        return None
