"""The bus topic plan and broker URLs."""

from __future__ import annotations

import pytest

from calimero_devnet.errors import ConfigError
from calimero_devnet.ids import to_b58
from calimero_devnet.node.bus.topics import BrokerAddress, Topics, parse_broker_url

CTX = b"\xc1" * 32


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("mqtt://127.0.0.1:1884", BrokerAddress("127.0.0.1", 1884)),
        ("mqtt://broker.lan", BrokerAddress("broker.lan", 1883)),
        ("tcp://[::1]:99/", BrokerAddress("::1", 99)),
    ],
)
def test_broker_urls_parse(url: str, address: BrokerAddress) -> None:
    assert parse_broker_url(url) == address


@pytest.mark.parametrize("url", ["http://h:1", "mqtt://", "mqtt://h:99999", "mqtt://h/x", "h:1"])
def test_bad_broker_urls_name_the_expected_form(url: str) -> None:
    with pytest.raises(ConfigError, match="mqtt://host:port"):
        parse_broker_url(url)


def test_topics_follow_the_plan() -> None:
    topics = Topics("c1")
    ctx = to_b58(CTX)
    assert topics.context(CTX, "delta") == f"devnet/c1/ctx/{ctx}/delta"
    assert topics.context_filter(CTX) == f"devnet/c1/ctx/{ctx}/+"
    assert topics.node("node-1", "req") == "devnet/c1/node/node-1/req"
    assert topics.net == "devnet/c1/ctl/net"
    assert BrokerAddress("h", 1).url == "mqtt://h:1"


@pytest.mark.parametrize(
    ("topic", "parsed"),
    [
        (f"devnet/c1/ctx/{to_b58(CTX)}/heads", (CTX, "heads")),
        (f"devnet/c2/ctx/{to_b58(CTX)}/heads", None),
        (f"devnet/c1/ctx/{to_b58(CTX)}/other", None),
        ("devnet/c1/ctx/0OIl/delta", None),  # not base58
        ("devnet/c1/ctx/abc/delta", None),  # base58, not 32 bytes
        ("devnet/c1/node/n/req", None),
    ],
)
def test_context_topics_parse_or_are_rejected(topic: str, parsed: object) -> None:
    assert Topics("c1").parse_context(topic) == parsed


def test_cluster_ids_must_be_topic_safe() -> None:
    with pytest.raises(ValueError, match="cluster id"):
        Topics("a/b")
