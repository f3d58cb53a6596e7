"""Cluster events for tests: one realistic sample of each type, and hypothesis strategies.

The strategies are built from each event class's field type hints, independently of the
codec under test; a field of a kind they do not know fails loudly (``TypeError``).
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union, get_args, get_origin

from hypothesis import strategies as st

from calimero_devnet.cluster.events import (
    AppDeployed,
    BrokerBack,
    BrokerDown,
    BuildFinished,
    ClusterEvent,
    ClusterReady,
    ContextReset,
    ConvergenceChanged,
    FeedMessage,
    NetChanged,
    NodeKilled,
    NodePresence,
    NodeSwitched,
    Problem,
    StateRefused,
    StatusPolled,
    Step,
)
from calimero_devnet.cluster.processes.node_events import (
    NodeExited,
    NodeReady,
    NodeStarting,
    NodeStopped,
    NodeStopping,
    StopEscalated,
)
from calimero_devnet.cluster.remotes import RemoteChanged
from calimero_devnet.cluster.status import ClusterStatus, ContextView, NodeRef

CTX = "FXEy9vvnvLt9o4jwHnKqfZZ2t9H6MBPmd49zVf2DXe6n"
APP = "3FSyJkKFm1eNsbV1dkLn3ipR6UT6sPHwRm5F6DqxVqX4"
STATUS = ClusterStatus(
    "devnet",
    (NodeRef("node-1", "http://127.0.0.1:4001", 101, True), NodeRef("node-2", None, None, False)),
    (ContextView("node-1", "kv-store", APP, ("HeadA", "HeadB"), "RootA", 2, None, False),
     ContextView("node-2", "kv-store", error="connection refused")),
    {"kv-store": CTX}, {"kv-store": APP}, {"kv-store": False},
    {"node-1": {"state": "reconnecting", "since": 1700000000000, "attempt": 3, "error": "refused"}},
)  # fmt: skip
SAMPLES: tuple[ClusterEvent, ...] = (
    NodeStarting("node-1"),
    NodeReady("node-1", "127.0.0.1", 4001, "PubKey1", 101, 0.41),
    NodeStopping("node-1"),
    StopEscalated("node-1", 5.0),
    NodeStopped("node-1", 0, 0.2),
    NodeExited("node-2", -9, "SIGKILL", ("last line", "Traceback")),
    Step("broker amqtt listening on mqtt://127.0.0.1:47433 (0.17 s)"),
    Problem("feed stopped: boom (see the log)"),
    BuildFinished("kv-store", 0.3),
    BuildFinished("kv-store", 0.1, "src/index.ts:1:1: error: nope"),
    NodeSwitched("kv-store", 2, "node-1", 1, 2),
    AppDeployed("kv-store", APP, 2, ("node-1",), (("node-2", "refused"),)),
    StateRefused("kv-store", 2, "kv-store", ("node-1", "node-2"), "field writes is a counter"),
    ContextReset("kv-store", CTX, "NewCtxId", "kv-store", 2, ("node-1", "node-2")),
    ContextReset("kv-store", None, CTX, "kv-store", 1, ("node-1",)),
    ClusterReady(4.45, ("node-1", "node-2"), (("kv-store", CTX),)),
    FeedMessage("node-1", ({"event": "authored", "delta": "D1", "heads": ["D1"], "n": 1.5},)),
    NodeKilled("node-3"),
    NodePresence("node-2", "offline"),
    RemoteChanged("far-1", "ready", "http://10.0.0.2:4100", "hostb", fresh=True),
    ConvergenceChanged("kv-store", True, ("HeadA",), "RootA", ("node-1", "node-2")),
    ConvergenceChanged("kv-store", False, differences=("node-2: 2 delta(s) pending",)),
    NetChanged("partitions node-1 | node-2", {"partitions": [["node-1"], ["node-2"]]}),
    BrokerDown("amqtt", "mqtt://127.0.0.1:47433", "killed by SIGKILL", True),
    BrokerBack("external", "mqtt://10.0.0.2:1883", 4.2, False),
    StatusPolled(STATUS),
)

# --- strategies ----------------------------------------------------------------------------
NAMES = st.text(max_size=12)
JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
NODE_REFS = st.builds(NodeRef, NAMES, st.none() | NAMES, st.none() | st.integers(), st.booleans())
VIEWS = st.builds(
    ContextView, NAMES, NAMES, st.none() | NAMES, st.lists(NAMES, max_size=3).map(tuple),
    st.none() | NAMES, st.integers(), st.none() | NAMES, st.booleans(),
)  # fmt: skip
STATUSES = st.builds(
    ClusterStatus, NAMES, st.lists(NODE_REFS, max_size=3).map(tuple),
    st.lists(VIEWS, max_size=4).map(tuple), st.dictionaries(NAMES, NAMES, max_size=2),
    st.dictionaries(NAMES, NAMES, max_size=2), st.dictionaries(NAMES, st.booleans(), max_size=2),
)  # fmt: skip
SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    str: st.text(), int: st.integers(), bool: st.booleans(), type(None): st.none(),
    float: st.floats(allow_nan=False, allow_infinity=False), Any: JSON_VALUES,
    ClusterStatus: STATUSES,
}  # fmt: skip


def strategy(hint: Any) -> st.SearchStrategy[Any]:
    """Values of the field type ``hint`` (``TypeError`` for a kind not known here)."""
    origin, args = get_origin(hint), get_args(hint)
    if hint in SCALARS:
        return SCALARS[hint]
    if origin in (Union, types.UnionType):
        return st.one_of(*(strategy(arm) for arm in args))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return st.lists(strategy(args[0]), max_size=3).map(tuple)
    if origin is tuple:
        return st.tuples(*(strategy(arm) for arm in args))
    if origin is dict and args[0] is str:
        return st.dictionaries(st.text(), strategy(args[1]), max_size=3)
    raise TypeError(f"no strategy for fields of type {hint!r}: teach event_samples.py")


def events_of(kind: type[Any]) -> st.SearchStrategy[Any]:
    """Instances of the event class ``kind``, every field drawn from its type hint."""
    hints = typing.get_type_hints(kind)
    return st.builds(kind, **{name: strategy(hint) for name, hint in hints.items()})
