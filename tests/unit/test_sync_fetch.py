"""Unit tests of the fetch plan's retry timing: back-off per id and the measured round trip."""

from __future__ import annotations

from calimero_devnet.node.sync.fetch import FetchPlan, RoundTrip
from tests.unit.dag_fakes import SECOND, fake_id

NOW = 1_700_000_000 * SECOND
WANTED = fake_id("wanted")


def asked(plan: FetchPlan, now: int) -> list[str]:
    """The peers asked for ``WANTED`` at ``now``."""
    return [peer for peer, ids in plan.due(now) if WANTED in ids]


def test_each_retry_of_an_id_waits_twice_as_long_up_to_the_limit() -> None:
    plan = FetchPlan(retry_after=2 * SECOND, max_retry_after=8 * SECOND)
    for peer in ("p", "q"):
        plan.want(WANTED, peer, NOW)
    timeline = [(0, ["p"]), (2, ["q"]), (5, []), (6, ["p"]), (13, []), (14, ["q"]),
                (21, []), (22, ["p"])]  # fmt: skip
    assert [(s, asked(plan, NOW + s * SECOND)) for s, _ in timeline] == timeline


def test_a_slow_round_trip_holds_back_the_first_retry() -> None:
    plan = FetchPlan(retry_after=2 * SECOND)
    first = fake_id("first")
    plan.want(first, "p", NOW)
    plan.due(NOW)
    plan.got(first, NOW + 10 * SECOND)  # answered after 10 s: timeout 10 + 4 * 5 s
    assert plan.round_trip.timeout == 30 * SECOND
    plan.want(WANTED, "p", NOW + 10 * SECOND)
    plan.want(WANTED, "q", NOW + 10 * SECOND)
    assert asked(plan, NOW + 10 * SECOND) == ["p"]
    assert asked(plan, NOW + 12 * SECOND) == []  # not yet lost: answers take ~10 s here
    assert asked(plan, NOW + 39 * SECOND) == []
    assert asked(plan, NOW + 40 * SECOND) == ["q"]


def test_an_answer_to_a_retried_id_is_timed_from_its_last_request() -> None:
    plan = FetchPlan(retry_after=2 * SECOND)
    plan.want(WANTED, "p", NOW)
    plan.want(WANTED, "q", NOW)
    plan.due(NOW)
    plan.due(NOW + 2 * SECOND)  # asked again: the answer may be to either request
    plan.got(WANTED, NOW + 5 * SECOND)
    assert (plan.round_trip.samples, plan.round_trip.smoothed) == (1, 3 * SECOND)
    unasked = fake_id("broadcast")
    plan.want(unasked, "p", NOW)
    plan.got(unasked, NOW + 6 * SECOND)  # arrived before it was asked for: no sample
    assert plan.round_trip.samples == 1


def test_a_slow_bus_does_not_ask_every_peer_for_the_same_ids() -> None:
    # A healed partition: ten peers have the chain, every answer takes 20 s to arrive.
    plan = FetchPlan(retry_after=2 * SECOND)
    for peer in range(10):
        plan.want(WANTED, f"peer-{peer}", NOW)
    ticks = [NOW + tenth * SECOND // 10 for tenth in range(200)]  # 20 s, every 100 ms
    requests = sum(len(asked(plan, now)) for now in ticks)
    assert requests == 4  # at 0, 2, 6 and 14 s; a fixed 2 s delay asked all ten


def test_the_round_trip_estimate_follows_the_samples() -> None:
    estimate = RoundTrip()
    assert estimate.timeout == 0
    estimate.sample(8 * SECOND)
    assert (estimate.smoothed, estimate.variation) == (8 * SECOND, 4 * SECOND)
    estimate.sample(0)
    assert (estimate.smoothed, estimate.variation) == (7 * SECOND, 5 * SECOND)
    assert estimate.timeout == 27 * SECOND
