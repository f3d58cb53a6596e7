"""Provides the bus topic plan (SYNC.md "Bus"); broker URLs are in ``broker_url.py``.

Every topic sits under ``devnet/<cluster-id>/``; contexts appear in base58::

    ctx/<ctx>/delta      DeltaBroadcast       QoS1
    ctx/<ctx>/heads      HeadsAnnouncement    QoS0
    ctx/<ctx>/members    MembersUpdate        QoS1
    ctx/<ctx>/blobs      BlobAnnouncement     QoS1
    node/<node>/req      requests and replies addressed to <node>   QoS1
    node/<node>/status   retained presence text ("offline" is the last will)   QoS1
    node/<node>/presence retained JSON: where the node serves, re-sent every few s  QoS1
    node/<node>/feed     JSON telemetry       QoS0
    ctl/net              retained network rules (net_rules.py)     QoS1
"""

from __future__ import annotations

from calimero_devnet.errors import ParseError
from calimero_devnet.ids import from_b58, to_b58
from calimero_devnet.node.bus.broker_url import BrokerAddress, parse_broker_url
from calimero_devnet.node.bus.wire import check_name

__all__ = ["BrokerAddress", "Topics", "parse_broker_url"]  # the URL half lives in broker_url.py
CONTEXT_KINDS = ("delta", "heads", "members", "blobs")


class Topics:
    """Builds and reads the topics of one cluster."""

    def __init__(self, cluster_id: str) -> None:
        """Use the prefix ``devnet/<cluster_id>/``."""
        self.prefix = f"devnet/{check_name(cluster_id, 'cluster id')}/"
        self.net = self.prefix + "ctl/net"

    def context(self, context: bytes, kind: str) -> str:
        """The topic of ``kind`` (delta, heads, members or blobs) broadcasts of ``context``."""
        return f"{self.prefix}ctx/{to_b58(context)}/{kind}"

    def context_filter(self, context: bytes) -> str:
        """The subscription covering every broadcast of ``context``."""
        return f"{self.prefix}ctx/{to_b58(context)}/+"

    def node(self, node: str, kind: str) -> str:
        """The ``req``, ``status``, ``presence`` or ``feed`` topic of ``node``."""
        return f"{self.prefix}node/{node}/{kind}"

    def parse_context(self, topic: str) -> tuple[bytes, str] | None:
        """Return (context, kind) of a context topic, or None if ``topic`` is not one."""
        if not topic.startswith(self.prefix):
            return None
        parts = topic[len(self.prefix) :].split("/")
        if len(parts) != 3 or parts[0] != "ctx" or parts[2] not in CONTEXT_KINDS:
            return None
        try:
            return from_b58(parts[1], "context"), parts[2]
        except ParseError:
            return None
