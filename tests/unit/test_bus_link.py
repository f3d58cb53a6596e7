"""The bus link's states, their words and JSON, and the reconnect back-off."""

from __future__ import annotations

from calimero_devnet.node.bus.link import (
    Backoff,
    LinkState,
    connected,
    connecting,
    describe,
    lost,
    retrying,
)


def test_backoff_doubles_from_a_tenth_of_a_second_up_to_two_seconds() -> None:
    backoff = Backoff()
    delays = [backoff.next() for _ in range(8)]
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0]


def test_backoff_starts_over_after_a_connection() -> None:
    backoff = Backoff(first_s=0.5, max_s=1.0)
    assert [backoff.next() for _ in range(3)] == [0.5, 1.0, 1.0]
    backoff.reset()
    assert backoff.next() == 0.5


def test_an_outage_keeps_its_start_while_the_attempts_count_up() -> None:
    down = lost(connected(1_000), 5_000, "connection refused")
    assert down == LinkState("disconnected", 5_000, 0, "connection refused")
    again = retrying(lost(retrying(down), 7_000, "refused again"))
    assert again == LinkState("reconnecting", 5_000, 2, "refused again")
    assert connected(9_000).up
    assert not again.up


def test_the_first_connect_counts_attempts_without_being_an_outage() -> None:
    first = retrying(lost(connecting(0), 100, "refused"))
    assert (first.state, first.attempt, first.error) == ("connecting", 2, "refused")


def test_words_say_how_long_the_bus_is_down() -> None:
    down = LinkState("disconnected", 10_000, 0, "refused")
    assert describe(connected(0), 99_000) == "connected"
    assert describe(down, 13_000) == "disconnected for 3 s"
    assert describe(retrying(down), 14_000) == "reconnecting (attempt 1, down 4 s)"
    assert describe(connecting(0), 500) == "connecting (attempt 1)"


def test_json_round_trips_and_garbage_is_none() -> None:
    state = LinkState("reconnecting", 123, 4, "refused")
    assert LinkState.from_json(state.to_json()) == state
    assert LinkState.from_json({"state": "sleeping", "since": 1}) is None
    assert LinkState.from_json({"state": "connected", "since": "x"}) is None
    assert LinkState.from_json(None) is None
