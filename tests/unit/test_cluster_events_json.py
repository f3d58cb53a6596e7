"""The JSON codec of cluster events: every type of the ``ClusterEvent`` union round-trips
through JSON text, and what cannot be read is refused by name."""

from __future__ import annotations

import json
import re
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calimero_devnet.cluster.events import (
    BuildFinished,
    ClusterEvent,
    ConvergenceChanged,
    NetChanged,
    StatusPolled,
)
from calimero_devnet.cluster.events_json import event_from_json, event_to_json
from calimero_devnet.cluster.status import ClusterStatus
from tests.unit.event_samples import SAMPLES, STATUS, events_of

EVENT_TYPES = get_args(ClusterEvent)  # the union itself: a new event type is tested at once


def through_json_text(event: Any) -> Any:
    """``event`` encoded, written as JSON text and read back; the encoding must be JSON-safe."""
    encoded = event_to_json(event)
    decoded = json.loads(json.dumps(encoded))
    assert decoded == encoded  # a tuple left in the encoding would come back as a list
    return event_from_json(decoded)


@pytest.mark.parametrize("kind", EVENT_TYPES, ids=lambda kind: kind.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_event_type_round_trips(kind: type[Any], data: st.DataObject) -> None:
    event = data.draw(events_of(kind))
    assert event_to_json(event)["type"] == kind.__name__
    assert through_json_text(event) == event


def test_the_samples_cover_every_event_type_and_round_trip() -> None:
    assert {type(event) for event in SAMPLES} == set(EVENT_TYPES)
    for event in SAMPLES:
        assert through_json_text(event) == event


def test_the_shape_on_the_wire() -> None:
    assert event_to_json(BuildFinished("kv-store", 0.5)) == {
        "type": "BuildFinished", "app": "kv-store", "seconds": 0.5, "error": None,
    }  # fmt: skip
    status = event_to_json(StatusPolled(STATUS))["status"]
    assert status == json.loads(json.dumps(STATUS.to_json()))
    assert status["views"][0]["heads"] == ["HeadA", "HeadB"]


@pytest.mark.parametrize(
    ("obj", "named"),
    [
        ({"type": "Teleported", "node": "node-1"}, "unknown event type 'Teleported'"),
        ({"text": "no type"}, "unknown event type None"),
        (["Step", "x"], "an event is a JSON object, not list"),
        ({"type": "Step"}, "Step.text is missing"),
        ({"type": "Step", "text": 3}, "Step.text: expected str, got 3"),
        ({"type": "NodeKilled", "name": None}, "NodeKilled.name: expected str"),
        ({"type": "StopEscalated", "name": "n", "timeout": True}, "StopEscalated.timeout"),
        ({"type": "NodePresence", "node": "n", "status": ["x"]}, "NodePresence.status"),
        ({"type": "StopEscalated", "name": "n", "timeout": "5"}, "StopEscalated.timeout"),
        (
            {"type": "ClusterReady", "seconds": 1, "nodes": [], "contexts": [["k"]]},
            "ClusterReady.contexts[0]: expected 2 items, got 1",
        ),
        (
            {"type": "NodeStopped", "name": "n", "returncode": 1.5, "seconds": 0},
            "NodeStopped.returncode: expected int",
        ),
        ({"type": "FeedMessage", "node": "n", "events": [1]}, "FeedMessage.events[0]"),
        ({"type": "NetChanged", "text": "t", "rules": []}, "NetChanged.rules: expected an object"),
        ({"type": "StatusPolled", "status": {"clusterId": "d"}}, "StatusPolled.status: not a"),
    ],
)
def test_what_cannot_be_read_is_refused_by_name(obj: Any, named: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(named)):
        event_from_json(obj)


def test_unknown_keys_are_ignored_and_missing_defaults_taken() -> None:
    """A newer manager's extra field, or an older one's missing optional field, still reads."""
    obj = {"type": "ConvergenceChanged", "context": "kv", "converged": False, "since": 3}
    assert event_from_json(obj) == ConvergenceChanged("kv", False)
    newer = {**event_to_json(StatusPolled(STATUS)), "extra": 1}
    newer["status"]["views"][0]["lag"] = 5
    newer["status"]["nodes"][0]["cpu"] = 0.5
    assert event_from_json(newer) == StatusPolled(STATUS)


def test_ints_read_as_floats_but_bools_as_nothing_else() -> None:
    assert event_from_json({"type": "BuildFinished", "app": "a", "seconds": 2}) == BuildFinished(
        "a", 2.0
    )
    with pytest.raises(ValueError, match=r"BuildFinished\.seconds"):
        event_from_json({"type": "BuildFinished", "app": "a", "seconds": False})


def test_a_status_round_trips_and_names_what_is_missing() -> None:
    assert ClusterStatus.from_json(json.loads(json.dumps(STATUS.to_json()))) == STATUS
    broken = STATUS.to_json()
    del broken["views"][0]["node"]
    with pytest.raises(ValueError, match="node"):
        ClusterStatus.from_json(broken)
    with pytest.raises(ValueError, match="converged"):
        ClusterStatus.from_json({k: v for k, v in STATUS.to_json().items() if k != "converged"})


def test_net_changed_carries_the_rules_document() -> None:
    event = NetChanged("healthy", {"partitions": [], "links": {}, "seed": 0, "disconnected": []})
    assert event_to_json(event)["rules"]["partitions"] == []
