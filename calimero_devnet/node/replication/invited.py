"""Provides the event-loop side of invitations: grow the member list, join by invitation.

Joining by invitation (``POST /admin-api/contexts/join``) first fetches the context's app
from the inviter's node when this node lacks it, then joins from a member's snapshot as
``SyncWaiter.join`` does, and finally makes sure the invitee is a member here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from calimero_devnet.errors import NodeError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.replication.join import JoinFailed
from calimero_devnet.node.replication.requests import SyncWaiter, wake
from calimero_devnet.node.rpc.worker import CoreWorker
from calimero_devnet.node.state.invitation import Invitation

APP_FETCH_TIMEOUT_S = 10.0


class InvitationWaiter(SyncWaiter):
    """``SyncWaiter`` plus invitations and app fetches."""

    def __init__(self, worker: CoreWorker) -> None:
        """Run engine calls on ``worker``."""
        super().__init__(worker)
        self._app_waiters: dict[bytes, list[asyncio.Future[None]]] = {}

    async def invited(self, context: bytes) -> None:
        """An invitation grew the member list of ``context``: broadcast it."""
        engine = self.engine
        await self._worker.call(lambda _: engine.members_changed(context))

    async def join_invited(self, invitation: Invitation) -> dict[str, Any]:
        """Join the context ``invitation`` names, fetching its app first if need be.

        Raises:
            JoinFailed: the app could not be fetched; JoinTimeout, ApplicationNotFound.
        """
        await self.fetch_app(invitation)
        await self.join(invitation.context)
        engine = self.engine
        await self._worker.call(lambda _: engine.admit_invited(invitation))
        return {
            "contextId": to_b58(invitation.context),
            "memberPublicKey": to_b58(invitation.invitee),
        }

    async def fetch_app(self, invitation: Invitation, wait_s: float = APP_FETCH_TIMEOUT_S) -> None:
        """Have the app of the invitation's context installed here (fetched if missing)."""
        engine, app = self.engine, invitation.application
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._app_waiters.setdefault(app, []).append(future)
        context, peer = invitation.context, invitation.inviter_node
        await self._worker.call(lambda _: engine.fetch_app(app, context, peer))
        try:
            await asyncio.wait_for(asyncio.shield(future), wait_s)
        except TimeoutError:
            await self._worker.call(lambda _: engine.cancel_fetch(app))
            raise JoinFailed(
                f"node {peer} sent no application {to_b58(app)} within {wait_s:.0f} s: is it "
                "running and connected to the same broker? (or install the app here first)"
            ) from None
        finally:
            waiters = self._app_waiters.get(app, [])
            if future in waiters:
                waiters.remove(future)
            if not waiters:
                self._app_waiters.pop(app, None)

    def settle_app(self, application: bytes, error: NodeError | None) -> None:
        """An app fetch ended: wake its waiters."""
        wake(self._app_waiters.pop(application, []), error)
