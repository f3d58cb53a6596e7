"""The time_now source: unique across nodes, strictly increasing, Lamport-bumped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calimero_devnet.node.state.clock import (
    MAX_INDEX,
    Hlc,
    NodeClock,
    hlc_node_id,
    index_from_public_key,
)
from calimero_devnet.testing.fake_clock import FakeClock

PK = bytes(range(32))


def make(index: int, wall: FakeClock, last: int = 0) -> NodeClock:
    return NodeClock(index, public_key=PK, wall_clock=wall, last=last)


def test_now_follows_the_wall_clock_with_the_index_in_the_low_bits() -> None:
    wall = FakeClock(1_700_000_000_123_456_789)
    value = make(5, wall).now()
    assert value == (wall() & ~MAX_INDEX) | 5


def test_values_strictly_increase_while_the_wall_clock_stands_still() -> None:
    clock = make(7, FakeClock())
    values = [clock.now() for _ in range(1000)]
    assert values == sorted(set(values))
    assert all(v & MAX_INDEX == 7 for v in values)


def test_a_wall_clock_stepping_back_never_makes_time_go_back() -> None:
    wall = FakeClock()
    clock = make(1, wall)
    before = clock.now()
    wall.advance(-10_000_000_000)
    assert clock.now() > before


def test_two_nodes_never_issue_the_same_value_on_the_same_wall_clock() -> None:
    wall = FakeClock()
    a, b = make(1, wall), make(2, wall)
    seen_a = {a.now() for _ in range(500)}
    seen_b = {b.now() for _ in range(500)}
    assert not seen_a & seen_b


@given(st.lists(st.tuples(st.sampled_from("abn"), st.integers(0, 2**40)), min_size=1, max_size=60))
def test_interleaved_nodes_stay_unique_and_monotonic(steps: list[tuple[str, int]]) -> None:
    wall = FakeClock()
    clocks = {"a": make(3, wall), "b": make(900, wall)}
    issued: dict[str, list[int]] = {"a": [], "b": []}
    for who, amount in steps:
        if who == "n":
            wall.advance(amount - 2**39)  # the wall clock jumps either way
            continue
        value = clocks[who].now()
        issued[who].append(value)
        other = "b" if who == "a" else "a"
        clocks[other].observe(value)  # every value is delivered to the other node
    for values in issued.values():
        assert values == sorted(set(values))
    assert not set(issued["a"]) & set(issued["b"])


def test_observe_makes_the_next_value_greater_than_the_peers() -> None:
    wall = FakeClock()
    clock = make(0, wall)
    ahead = wall() + 3_000_000_000 + 999  # a peer whose clock runs 3 s ahead
    clock.observe(ahead)
    assert clock.now() > ahead
    clock.observe(5)  # an old timestamp changes nothing
    assert clock.now() > ahead


def test_restart_from_the_persisted_last_value_never_goes_back() -> None:
    wall = FakeClock()
    first = make(4, wall)
    first.observe(wall() + 60_000_000_000)
    issued = first.now()
    again = make(4, wall, last=first.last)
    assert again.now() > issued


def test_hlc_uses_the_clock_and_the_public_key() -> None:
    wall = FakeClock()
    clock = make(9, wall)
    one, two = clock.hlc(), clock.hlc()
    assert one < two
    assert one.node == hlc_node_id(PK) == int.from_bytes(PK[:16], "little")
    assert Hlc(5, 1) < Hlc(5, 2) < Hlc(6, 0)


def test_derived_index_is_in_range_and_stable() -> None:
    index = index_from_public_key(PK)
    assert 0 <= index <= MAX_INDEX
    assert index == index_from_public_key(PK)
    assert len({index_from_public_key(bytes([i]) * 32) for i in range(50)}) > 40


@pytest.mark.parametrize("index", [-1, 1024])
def test_index_out_of_range_is_refused(index: int) -> None:
    with pytest.raises(ValueError, match=r"0\.\.1023"):
        make(index, FakeClock())
