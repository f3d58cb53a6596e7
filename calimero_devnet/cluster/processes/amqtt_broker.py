"""Provides the embedded ``amqtt`` broker: its lean configuration and its process entry point.

Only the anonymous-auth plugin is loaded: amqtt refuses every client when no auth plugin
answers, and its default logging and ``$SYS`` plugins cost 25-30 % throughput
(DEPENDENCIES.md). Loopback only, so anonymous access is fine.

Run standalone (what ``open_embedded_broker`` does by default)::

    python -m calimero_devnet.cluster.processes.broker --port 1883
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from typing import Any


def broker_config(host: str, port: int) -> dict[str, Any]:
    """Return the amqtt configuration of a loopback broker on ``host:port``."""
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


def _broker_class() -> type[Any]:
    from amqtt.broker import Broker  # noqa: PLC0415  (heavy: only brokers pay for it)

    class RetainFixBroker(Broker):  # type: ignore[misc]
        """amqtt whose CONNECT replays retained messages only to their own subscribers.

        amqtt 0.12.1 replays, to every connecting client, the retained messages matching
        *any* client's subscription (it walks the broker-wide subscription table), so a
        fresh client got ``ctl/net`` or status topics it never asked for.
        """

        async def _publish_retained_messages_for_subscription(
            self, subscription: tuple[str, int], session: Any
        ) -> None:
            table = getattr(self, "_subscriptions", None)
            if isinstance(table, dict):
                holders = table.get(subscription[0], ())
                if not any(holder is session for holder, _ in holders):
                    return
            await super()._publish_retained_messages_for_subscription(subscription, session)

    return RetainFixBroker


@contextlib.asynccontextmanager
async def run_amqtt(host: str, port: int) -> AsyncIterator[None]:
    """Run an amqtt broker in this event loop for the duration of the block."""
    broker = _broker_class()(broker_config(host, port))
    await broker.start()
    try:
        yield
    finally:
        await broker.shutdown()


async def serve(host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT, then shut down cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with run_amqtt(host, port):
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Parse ``--host``/``--port`` and serve."""
    parser = argparse.ArgumentParser(description="Run the devnet's embedded MQTT broker (amqtt).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="amqtt: %(levelname)s %(message)s")
    asyncio.run(serve(args.host, args.port))
