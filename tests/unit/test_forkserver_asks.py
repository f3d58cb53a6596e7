"""The fork server reads asks strictly: a malformed one is refused, its descriptors closed."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator

import pytest

from calimero_devnet.node.forkserver import BadAsk, read_ask


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with ours, theirs:
        yield ours, theirs


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def send(sock: socket.socket, body: object, fds: int = 3) -> None:
    streams = [os.open(os.devnull, os.O_RDONLY) for _ in range(fds)]
    try:
        socket.send_fds(sock, [json.dumps(body).encode()], streams)
    finally:
        for fd in streams:
            os.close(fd)


def test_a_good_ask_is_read_with_its_three_streams(pair: tuple[socket.socket, ...]) -> None:
    ours, theirs = pair
    send(ours, {"id": 4, "entry": "m:f", "argv": ["a"], "env": {"K": "v"}, "title": "t"})
    ask = read_ask(theirs)
    assert ask is not None
    assert (ask.id, ask.entry, ask.argv, ask.env, ask.title, len(ask.fds)) == (
        4, "m:f", ["a"], {"K": "v"}, "t", 3,
    )  # fmt: skip
    for fd in ask.fds:
        os.close(fd)


@pytest.mark.parametrize(
    ("body", "fds", "ask_id"),
    [
        ({"id": 7, "entry": "m:f", "argv": []}, 3, 7),  # no env
        ({"id": 8, "entry": "m:f", "argv": [], "env": {}}, 1, 8),  # one stream, not three
        (["not", "an", "object"], 3, None),
        ({"id": "x", "entry": "m:f", "argv": [], "env": {}}, 3, "x"),
    ],
)
def test_a_bad_ask_is_refused_with_its_id_and_its_streams_closed(
    pair: tuple[socket.socket, ...], body: object, fds: int, ask_id: object
) -> None:
    ours, theirs = pair
    before = open_fds()
    send(ours, body, fds)
    with pytest.raises(BadAsk) as refused:
        read_ask(theirs)
    assert refused.value.ask_id == ask_id
    assert open_fds() == before


def test_the_managers_end_closing_is_the_end(pair: tuple[socket.socket, ...]) -> None:
    ours, theirs = pair
    ours.shutdown(socket.SHUT_WR)
    assert read_ask(theirs) is None
