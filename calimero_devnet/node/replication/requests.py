"""Provides the request side of replication: join a context, sync now, read sync status.

These are what the admin API awaits (``POST /admin-api/contexts/<id>/join``,
``POST /admin-api/contexts/sync``, ``GET /admin-api/contexts/<id>/sync``). Each one runs
its engine calls on the worker thread and waits in the event loop.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from calimero_devnet.errors import ContextNotFound, NodeError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.replication.engine import ReplicaEngine
from calimero_devnet.node.replication.join import JoinFailed
from calimero_devnet.node.replication.status import context_status
from calimero_devnet.node.rpc.worker import CoreWorker

JOIN_TIMEOUT_S = 20.0  # with no answer, and no member asked that is still heard from
JOIN_PATIENCE = 6  # times JOIN_TIMEOUT_S a join may last while a member asked is up
SYNC_TIMEOUT_S = 10.0
POLL_S = 0.05


def wake(waiters: list[asyncio.Future[None]], error: NodeError | None) -> None:
    """Settle each waiter not yet done: with ``error``, or with None when there is none."""
    for future in waiters:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


class JoinTimeout(JoinFailed):
    """No member sent a usable snapshot in time."""

    http_status = 504


class SyncWaiter:
    """Joins, syncs and status reads over an engine (``engine`` is set by ``start``)."""

    engine: ReplicaEngine

    def __init__(self, worker: CoreWorker) -> None:
        """Run engine calls on ``worker``."""
        self._worker = worker
        self._waiters: dict[bytes, list[asyncio.Future[None]]] = {}

    async def join(self, context: bytes, wait_s: float = JOIN_TIMEOUT_S) -> dict[str, Any]:
        """Join ``context`` from a member's snapshot; answer once it is installed.

        Raises:
            ApplicationNotFound: the context's app is not installed on this node.
            JoinTimeout: no snapshot within ``wait_s`` seconds and no member asked heard
                from meanwhile, or none within ``JOIN_PATIENCE`` times ``wait_s``.
        """
        engine = self.engine
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(context, []).append(future)
        try:
            started = await self._worker.call(lambda _: engine.join(context, time.time_ns()))
            if started != "member":
                await self._wait_joined(context, future, wait_s)
        finally:
            self._drop(context, future)
        return {"contextId": to_b58(context), "memberPublicKey": to_b58(engine.core.public_key)}

    async def _wait_joined(
        self, context: bytes, future: asyncio.Future[None], wait_s: float
    ) -> None:
        # A loaded machine (many nodes joining at once on few cores) may take longer than
        # ``wait_s`` to serve a snapshot; give up only once no member asked is heard from.
        engine, waited, within = self.engine, 0.0, int(wait_s * 1e9)
        while True:
            try:
                await asyncio.wait_for(asyncio.shield(future), wait_s)
                return
            except TimeoutError:
                waited += wait_s
            alive = await self._worker.call(
                lambda _: engine.join_in_progress(context, time.time_ns(), within)
            )
            if future.done():  # it ended (joined, or failed for a reason of its own) meanwhile
                return await future
            if not alive or waited >= JOIN_PATIENCE * wait_s:
                break
        future.cancel()
        error = self._timeout(context, waited, alive)
        await self._worker.call(lambda _: engine.cancel_join(context, error))
        raise error

    @staticmethod
    def _timeout(context: bytes, waited: float, alive: bool) -> JoinTimeout:
        where = f"no member of context {to_b58(context)} sent a snapshot within {waited:.0f} s"
        if alive:
            return JoinTimeout(f"{where}, though one asked is up: is its node overloaded?")
        return JoinTimeout(
            f"{where}: is a node that has this context running and connected to the same broker?"
        )

    def settle(self, context: bytes, error: NodeError | None) -> None:
        """A join ended: wake its waiters."""
        wake(self._waiters.pop(context, []), error)

    def _drop(self, context: bytes, future: asyncio.Future[None]) -> None:
        waiters = self._waiters.get(context, [])
        if future in waiters:
            waiters.remove(future)
        if not waiters:
            self._waiters.pop(context, None)

    async def sync(
        self, context: bytes | None = None, wait_s: float = SYNC_TIMEOUT_S
    ) -> dict[str, Any]:
        """Announce and fetch now; answer when every context is caught up or after ``wait_s``.

        Caught up: every peer heard recently has announced again since this call and we
        have all its heads, with nothing pending (``replication_status``).

        Raises:
            ContextNotFound: ``context`` is neither stored nor being joined here.
        """
        engine, loop = self.engine, asyncio.get_running_loop()
        since = time.time_ns()
        contexts = [context] if context is not None else None

        def kick() -> list[bytes]:
            engine.announce(since)
            engine.tick(since)
            return contexts if contexts is not None else known_contexts(engine)

        targets = await self._worker.call(lambda _: kick())
        deadline = loop.time() + wait_s
        while True:
            statuses = await self._statuses(targets, since)
            done = all(status["caughtUp"] for status in statuses)
            if done or loop.time() >= deadline:
                return {"done": done, "contexts": statuses}
            await asyncio.sleep(POLL_S)

    async def status(self, context: bytes) -> dict[str, Any]:
        """The sync status of one context, judged against every announcement heard."""
        return (await self._statuses([context], 0))[0]

    async def pending(self, contexts: list[bytes]) -> dict[bytes, int]:
        """Deltas waiting for parents, per context."""
        engine = self.engine
        return await self._worker.call(lambda _: {c: engine.pending_count(c) for c in contexts})

    async def waiting(
        self, context: bytes
    ) -> dict[bytes, tuple[tuple[bytes, ...], tuple[bytes, ...]]]:
        """Deltas of ``context`` waiting for parents here: id → (the parents it waits for,
        the unknown ancestors that block it), oldest first; empty if not replicated."""
        engine = self.engine

        def read() -> dict[bytes, tuple[tuple[bytes, ...], tuple[bytes, ...]]]:
            dag = engine.dag_of(context)
            if dag is None:
                return {}
            waiting = dag.waiting().items()
            return {d: (tuple(sorted(ps)), dag.missing_for(d)) for d, ps in waiting}

        return await self._worker.call(lambda _: read())

    async def delete(self, context: bytes) -> None:
        """Delete ``context`` from the node and stop replicating it, in one worker job.

        Raises:
            ContextNotFound: the node has no such context.
        """
        engine = self.engine
        await self._worker.call(lambda _: engine.delete(context))

    async def _statuses(self, contexts: list[bytes], since: int) -> list[dict[str, Any]]:
        engine = self.engine
        now = time.time_ns()
        return await self._worker.call(
            lambda _: [engine_status(engine, c, now, since) for c in contexts]
        )


def known_contexts(engine: ReplicaEngine) -> list[bytes]:
    """Every context the engine's node has or is joining (worker thread)."""
    stored = {record.id for record in engine.core.store.contexts()}
    return sorted(stored | engine.joins.joining)


def engine_status(engine: ReplicaEngine, context: bytes, now: int, since: int) -> dict[str, Any]:
    """The sync status of a context (worker thread; see ``replication_status``).

    Raises:
        ContextNotFound: the node neither has nor is joining the context.
    """
    record = engine.core.store.context(context)
    if record is None and context not in engine.joins.joining:
        raise ContextNotFound(
            f"context {to_b58(context)} not found on node {engine.core.name}: join it first"
        )
    dag, peers = engine.dag_of(context), engine.screen.peers
    return context_status(context, record=record, dag=dag, peers=peers, now=now, since=since)
