"""Property tests: any delivery order, with duplicates and drops, converges causally.

Histories come from several authors writing on their own view of the DAG and sometimes
merging another author's view, so they hold concurrent branches and merges. Each delta
carries an operation on a small state: a last-writer-wins map (ordered by HLC, then author)
and a set whose removes only undo adds they saw, so applying a remove before its add
would leave the element in place (the resurrection causal order prevents).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from calimero_devnet.node.sync.dag import CausalDag
from calimero_devnet.node.sync.messages import (
    ApplyDeltas,
    Effect,
    Log,
    Message,
    Publish,
    Reply,
    RequestSnapshot,
    SendFetch,
)
from calimero_devnet.node.sync.protocol import SyncConfig, SyncState
from tests.unit.dag_fakes import SECOND, FakeDelta, make

AUTHORS = ("a", "b", "c")
KEYS = ("k0", "k1", "k2")
CTX = b"\xc1" * 32
START = 1_700_000_000 * SECOND


@dataclass
class State:
    """The tiny replicated state: an LWW map and an observed-remove set."""

    lww: dict[str, tuple[tuple[int, int], str | None]] = field(default_factory=dict)
    elements: set[str] = field(default_factory=set)

    def apply(self, delta: FakeDelta) -> None:
        kind, *args = delta.op
        stamp = (delta.hlc.time, delta.hlc.node)
        if kind in {"set", "del"}:
            key = args[0]
            value = args[1] if kind == "set" else None
            if key not in self.lww or stamp > self.lww[key][0]:
                self.lww[key] = (stamp, value)
        elif kind == "add":
            self.elements.add(args[0])
        elif kind == "rm":
            self.elements.discard(args[0])


def heads_of(deltas: list[FakeDelta]) -> tuple[bytes, ...]:
    referenced = {p for d in deltas for p in d.parents}
    return tuple(sorted(d.id for d in deltas if d.id not in referenced))


def make_op(code: int, label: str, view: list[FakeDelta], pick: int) -> tuple[str, ...]:
    adds = [d.op[1] for d in view if d.op[0] == "add"]
    key = KEYS[pick % len(KEYS)]
    if code == 0:
        return ("set", key, label)
    if code == 1:
        return ("del", key)
    if code == 2 or not adds:
        return ("add", label)
    return ("rm", adds[pick % len(adds)])


@st.composite
def histories(draw: st.DrawFn) -> list[FakeDelta]:
    """Deltas in creation order (a causal order), written by authors with partial views."""
    steps = draw(
        st.lists(
            st.tuples(
                st.integers(0, 2),
                st.integers(0, 2),
                st.booleans(),
                st.integers(0, 3),
                st.integers(0, 9),
            ),
            min_size=4,
            max_size=30,
        )
    )
    created: list[FakeDelta] = []
    views: list[list[FakeDelta]] = [[] for _ in AUTHORS]
    for number, (who, other, merge, code, pick) in enumerate(steps):
        view = views[who]
        if merge:  # first take in what another author has seen
            view.extend(d for d in views[other] if d not in view)
        by_id = {d.id: d for d in view}
        parents = [by_id[h] for h in heads_of(view)]
        time = 1 + max((d.hlc.time for d in view), default=0)
        label = f"d{number}"
        op = make_op(code, label, view, pick)
        delta = make(label, parents, time=time, node=who, author=AUTHORS[who], op=op)
        created.append(delta)
        view.append(delta)
    return created


def reference_state(history: list[FakeDelta]) -> State:
    state = State()
    for delta in history:
        state.apply(delta)
    return state


def replay(history: list[FakeDelta], schedule: list[int]) -> tuple[CausalDag[FakeDelta], State]:
    """Deliver ``schedule`` to a fresh replica that fetches missing ids from a full peer."""
    by_id = {d.id: d for d in history}
    dag: CausalDag[FakeDelta] = CausalDag()
    state = State()
    order: list[bytes] = []

    def deliver(first: FakeDelta) -> None:
        queue = [first]
        while queue:
            result = dag.receive(queue.pop(0), 0)
            for delta in result.ready:
                assert all(p in set(order) for p in delta.parents), "applied before a parent"
                state.apply(delta)
                order.append(delta.id)
                dag.mark_applied(delta)
            queue.extend(by_id[m] for m in result.missing)

    for index in schedule:
        deliver(history[index])
    for head in heads_of(history):  # the full peer's heads announcement
        if not dag.is_known(head):
            deliver(by_id[head])
    return dag, state


@st.composite
def schedules(draw: st.DrawFn, size: int) -> list[int]:
    """A delivery order with drops (fetched later) and duplicates."""
    order = list(draw(st.permutations(range(size))))
    dropped = draw(st.sets(st.integers(0, size - 1), max_size=size))
    kept = [i for i in order if i not in dropped]
    for index, position in draw(
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size)), max_size=6)
    ):
        kept.insert(min(position, len(kept)), index)
    return kept


@settings(max_examples=100, deadline=None)
@given(data=st.data(), history=histories())
def test_every_delivery_order_converges_to_the_same_heads_and_state(
    data: st.DataObject, history: list[FakeDelta]
) -> None:
    expected_state = reference_state(history)
    for _ in range(2):
        schedule = data.draw(schedules(len(history)))
        dag, state = replay(history, schedule)
        assert dag.heads == heads_of(history)
        stats = dag.statistics()
        assert (stats.applied, stats.pending, stats.applying) == (len(history), 0, 0)
        assert dag.missing() == ()
        assert state == expected_state


# --- the whole protocol: SyncState nodes over a lossy, reordering in-memory bus -----------


class SimNode:
    """A node: a SyncState, a dict store and a shell that applies deltas at once."""

    def __init__(self, index: int, genesis: FakeDelta) -> None:
        self.index = index
        self.name = AUTHORS[index]
        self.store = {genesis.id: genesis}
        self.order: list[bytes] = [genesis.id]
        self.state = State()
        self.state.apply(genesis)
        self.last_time = genesis.hlc.time
        self.sync: SyncState[FakeDelta] = SyncState(
            SyncConfig(node=self.name),
            verify=lambda _ctx, _delta: None,
            lookup=lambda _ctx, delta_id: self.store.get(delta_id),
            snapshot_of=lambda _ctx: None,
        )
        self.sync.open_context(CTX, applied=[genesis.id], heads=[genesis.id])

    def write(self, now: int, code: int, pick: int, label: str) -> list[Effect[FakeDelta]]:
        view = list(self.store.values())
        parents = [self.store[p] for p in self.sync.dag(CTX).local_parents()]
        self.last_time = max(now, self.last_time + 1)
        op = make_op(code, label, view, pick)
        delta = make(label, parents, time=self.last_time, node=self.index, author=self.name, op=op)
        self._persist(delta)
        return self.sync.local_delta(CTX, delta)

    def perform(
        self, effects: list[Effect[FakeDelta]]
    ) -> list[tuple[str | None, Message[FakeDelta]]]:
        """Carry out effects; return (addressee or None for everyone, message) to send."""
        out: list[tuple[str | None, Message[FakeDelta]]] = []
        for effect in effects:
            match effect:
                case ApplyDeltas(deltas=deltas):
                    for delta in deltas:
                        assert self.sync.dag(CTX).is_applying(delta.id)
                        self._persist(delta)
                        self.sync.applied(CTX, delta)
                case Publish(message=message):
                    out.append((None, message))
                case SendFetch(peer=peer, request=request):
                    out.append((peer, request))
                case Reply(to=to, message=message):
                    out.append((to, message))
                case RequestSnapshot() | Log():
                    pass
        return out

    def _persist(self, delta: FakeDelta) -> None:
        assert all(p in self.store for p in delta.parents), "applied before a parent"
        self.store[delta.id] = delta
        self.order.append(delta.id)
        self.state.apply(delta)
        self.last_time = max(self.last_time, delta.hlc.time)  # the Lamport bump


class Bus:
    """In-flight messages; the chaos phase picks, drops and duplicates them."""

    def __init__(self, nodes: list[SimNode]) -> None:
        self.nodes = {n.name: n for n in nodes}
        self.queue: list[tuple[str, Message[FakeDelta]]] = []

    def post(self, sender: SimNode, effects: list[Effect[FakeDelta]]) -> None:
        for to, message in sender.perform(effects):
            targets = [to] if to is not None else [n for n in self.nodes if n != sender.name]
            self.queue.extend((target, message) for target in targets)

    def deliver(self, position: int, now: int) -> None:
        target, message = self.queue.pop(position)
        node = self.nodes[target]
        self.post(node, node.sync.handle(message, now))


def converged(nodes: list[SimNode]) -> bool:
    first = nodes[0].sync.dag(CTX)
    return all(
        n.sync.dag(CTX).heads == first.heads and n.sync.dag(CTX).statistics().pending == 0
        for n in nodes
    )


actions = st.lists(
    st.tuples(
        st.sampled_from(["write", "deliver", "deliver", "deliver", "tick"]),
        st.integers(0, 2),
        st.integers(0, 3),
        st.integers(0, 99),
        st.sampled_from(["deliver", "deliver", "drop", "duplicate"]),
    ),
    min_size=10,
    max_size=50,
)


@settings(max_examples=50, deadline=None)
@given(steps=actions)
def test_nodes_converge_after_loss_reordering_and_duplicates(
    steps: list[tuple[str, int, int, int, str]],
) -> None:
    genesis = make("genesis", time=START, op=("set", "k0", "genesis"))
    nodes = [SimNode(i, genesis) for i in range(len(AUTHORS))]
    bus = Bus(nodes)
    now = START
    for number, (action, who, code, pick, fate) in enumerate(steps):
        now += SECOND // 3
        node = nodes[who]
        if action == "write":
            bus.post(node, node.write(now, code, pick, f"w{number}"))
        elif action == "tick":
            bus.post(node, node.sync.tick(now))
        elif bus.queue:
            position = pick % len(bus.queue)
            if fate == "drop":
                bus.queue.pop(position)
                continue
            if fate == "duplicate":
                bus.queue.append(bus.queue[position])
            bus.deliver(position, now)
    for _ in range(30):  # healed network: ticks and full delivery until quiet
        now += SECOND
        for node in nodes:
            bus.post(node, node.sync.tick(now))
        while bus.queue:
            bus.deliver(0, now)
        if converged(nodes):
            break
    assert converged(nodes)
    first = nodes[0]
    for node in nodes[1:]:
        assert node.store.keys() == first.store.keys()
        assert node.state == first.state
    assert first.state == reference_state(
        [first.store[i] for i in first.order]
    )  # one causal replay gives the same state
