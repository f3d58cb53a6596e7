"""Broker URLs with TLS and logins, and where a joining node listens."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from calimero_devnet.errors import ConfigError
from calimero_devnet.node.__main__ import add_node_arguments, node_config
from calimero_devnet.node.bus.broker_url import (
    BrokerAddress,
    parse_broker_url,
    shown,
    with_env_password,
    with_login,
)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("mqtts://broker.lan", BrokerAddress("broker.lan", 8883, tls=True)),
        ("mqtt://dev@h:1", BrokerAddress("h", 1, username="dev")),
        ("mqtts://dev:p%40ss@h:2", BrokerAddress("h", 2, True, "dev", "p@ss")),
        (
            "mqtts://h:3?ca_file=/etc/ca.pem",
            BrokerAddress("h", 3, True, ca_file=Path("/etc/ca.pem")),
        ),
    ],
)
def test_tls_and_login_urls_parse(url: str, address: BrokerAddress) -> None:
    assert parse_broker_url(url) == address


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("mqtt://h:1?ca_file=/ca.pem", "ca_file needs TLS"),
        ("mqtts://h:1?tls=1", "unknown option 'tls'"),
        ("mqtt://h:1#x", "fragment"),
        ("wss://h:1", "is not of the form"),
    ],
)
def test_bad_tls_urls_say_what_is_wrong(url: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_broker_url(url)


def test_the_shown_url_never_holds_the_password() -> None:
    address = parse_broker_url("mqtts://dev:secret@h:8883?ca_file=/ca.pem")
    assert address.url == "mqtts://dev@h:8883?ca_file=/ca.pem"
    assert "secret" not in repr(address)
    assert parse_broker_url(address.secret_url) == address
    assert parse_broker_url(address.url).password is None


def test_shown_urls_lose_the_password_and_keep_what_does_not_parse() -> None:
    assert shown("mqtt://u:secret@h:1") == "mqtt://u@h:1"
    assert shown("not a url") == "not a url"


def test_a_password_comes_from_the_environment_only_for_a_named_user() -> None:
    env = {"DEVNET_BROKER_PASSWORD": "pw"}
    assert with_env_password(parse_broker_url("mqtt://u@h:1"), env).password == "pw"
    assert with_env_password(parse_broker_url("mqtt://h:1"), env).password is None
    assert with_env_password(parse_broker_url("mqtt://u:mine@h:1"), env).password == "mine"


def test_command_line_options_win_over_the_url() -> None:
    address = with_login(parse_broker_url("mqtts://u:p@h:1"), "v", "q", Path("/c.pem"))
    assert (address.username, address.password, address.ca_file) == ("v", "q", Path("/c.pem"))


def joined(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_node_arguments(parser)
    return parser.parse_args(["--join", "mqtt://127.0.0.1:1883", "--name", "far-1", *argv])


def test_a_joining_node_listens_on_the_address_facing_the_broker(tmp_path: Path) -> None:
    config = node_config(joined("--data-dir", str(tmp_path / "far")))
    assert (config.host, config.advertise, config.join) == ("127.0.0.1", None, True)
    assert config.home == tmp_path / "far"
    assert config.broker == "mqtt://127.0.0.1:1883"
    everywhere = node_config(joined("--host", "0.0.0.0", "--data-dir", str(tmp_path)))
    assert (everywhere.host, everywhere.advertise) == ("0.0.0.0", "127.0.0.1")
    told = node_config(joined("--advertise", "http://far.lan:9", "--data-dir", str(tmp_path)))
    assert told.advertise == "http://far.lan:9"


def test_a_joining_node_without_a_data_dir_gets_one_by_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert node_config(joined()).home == tmp_path / ".devnet" / "joined" / "far-1"


def test_a_node_without_home_or_join_is_refused() -> None:
    parser = argparse.ArgumentParser()
    add_node_arguments(parser)
    with pytest.raises(ConfigError, match="--home DIR is required"):
        node_config(parser.parse_args([]))
