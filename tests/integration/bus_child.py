"""Provides a process running one bus adapter, for last-will tests (killed by its parent).

Usage: ``python -m tests.integration.bus_child BROKER_URL CLUSTER NODE``; prints ``ready``
once its status ``online`` is published, then idles until killed.
"""

from __future__ import annotations

import asyncio
import sys

from calimero_devnet.node.bus.mqtt import open_mqtt_transport


async def main(url: str, cluster: str, node: str) -> None:
    """Publish ``online`` and idle."""
    async with open_mqtt_transport(url, cluster, node, rules_grace_s=0.05) as transport:
        await transport.publish_status("online")
        await asyncio.wait_for(transport.connected.wait(), 10)
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
