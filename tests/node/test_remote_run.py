"""A run of peer deltas applied into one store batch: reads see the run, one write, all or none."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from calimero_devnet.errors import ParseError, StoreError, StoreUnavailable
from calimero_devnet.ids import to_b58
from calimero_devnet.node.replication import apply
from calimero_devnet.node.replication.engine import ReplicaEngine
from calimero_devnet.node.replication.outbox import Feed, Outgoing
from calimero_devnet.node.runtime import Runtime
from calimero_devnet.node.state.commits import RemoteRun
from calimero_devnet.node.state.core import NodeCore
from calimero_devnet.node.state.delta import CausalDelta
from calimero_devnet.node.state.records import ContextRecord
from calimero_devnet.node.state.results import CommitNotice, ExecuteResult
from calimero_devnet.node.state.staged import StagedStore
from calimero_devnet.node.state.store import NodeStore, StoreBatch
from calimero_devnet.node.sync.dag import SECOND
from calimero_devnet.node.sync.messages import DeltaBroadcast
from calimero_devnet.testing.fake_clock import FakeClock
from calimero_devnet.testing.fake_runtime import fake_wasm
from tests.fixtures import load_wat
from tests.node.core_helpers import SEED as FAKE_SEED
from tests.node.core_helpers import join, open_node
from tests.node.js_helpers import FORGERIES, converged, entries, forged_delta, put, stored

SEED = b"run-seed"
CTX = bytes(range(32))
Trio = tuple[NodeCore, NodeCore, NodeCore, bytes]


@pytest.fixture
def trio(tmp_path: Path, runtime: Runtime) -> Iterator[Trio]:
    """Three JS-like nodes of one context: ``a`` created it, ``b`` and ``c`` joined."""

    def node(name: str, index: int) -> NodeCore:
        return NodeCore.open(tmp_path / name, index=index, runtime=runtime, wall_clock=FakeClock())

    with node("a", 1) as a, node("b", 2) as b, node("c", 3) as c:
        ctx = a.create_context(a.install_application(load_wat("js_like"), source="t"), seed=SEED)
        join(a, b, ctx.id)
        join(a, c, ctx.id)
        yield a, b, c, ctx.id


def count_writes(store: NodeStore, monkeypatch: pytest.MonkeyPatch) -> list[StoreBatch]:
    """Record every batch ``store`` writes (and write it)."""
    written: list[StoreBatch] = []
    real = store.write

    def write(batch: StoreBatch) -> None:
        written.append(batch)
        real(batch)

    monkeypatch.setattr(store, "write", write)
    return written


def apply_run(node: NodeCore, ctx: bytes, deltas: list[CausalDelta]) -> int:
    """Apply ``deltas`` as one run; return how many were new."""
    run = node.remote_run(ctx)
    fresh = sum(run.apply(delta) for delta in deltas)
    assert len(run.commit()) == fresh
    return fresh


def test_a_run_is_one_write_and_ends_where_one_by_one_ends(
    trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c, ctx = trio
    chain = [put(a, ctx, key, f'"{n}"') for n, key in enumerate("kjkik")]
    for delta in chain:
        c.apply_delta(delta)
    written = count_writes(b.store, monkeypatch)
    notices: list[CommitNotice] = []
    durable: list[bool] = []
    b.subscribe(notices.append)
    b.subscribe(lambda notice: durable.append(b.store.has_applied(ctx, chain[-1].id)))
    assert apply_run(b, ctx, chain) == len(chain)
    assert len(written) == 1
    assert [notice.delta for notice in notices] == chain  # in order
    assert durable == [True] * len(chain)  # each told once the whole run was written
    converged(a, b, ctx)
    assert stored(b, ctx)[1:] == stored(c, ctx)[1:]  # state and deltas (members differ)
    assert b.context(ctx).delta_count == c.context(ctx).delta_count == a.context(ctx).delta_count
    assert entries(b, ctx) == {b"i": b'"3"', b"j": b'"1"', b"k": b'"4"'}
    assert apply_run(b, ctx, chain) == 0  # all known: nothing written
    assert len(written) == 1


def test_concurrent_deltas_in_one_run_see_each_others_writes(trio: Trio) -> None:
    a, b, c, ctx = trio
    from_a, from_b = put(a, ctx, "k", '"a"'), put(b, ctx, "k", '"b"')
    assert from_a.parents == from_b.parents
    later, earlier = sorted((from_a, from_b), key=lambda d: d.hlc.time, reverse=True)
    apply_run(c, ctx, [later, earlier])  # the earlier write must lose to the staged later one
    a.apply_delta(from_b)
    b.apply_delta(from_a)
    converged(a, c, ctx)
    converged(b, c, ctx)
    assert entries(c, ctx) == {b"k": b'"a"' if later is from_a else b'"b"'}


def test_a_forged_delta_stages_nothing_and_the_rest_of_the_run_applies(trio: Trio) -> None:
    a, b, _, ctx = trio
    good = put(a, ctx, "k", '"1"')
    forged = forged_delta(a, ctx, sorted(FORGERIES)[0])
    after = put(a, ctx, "j", '"2"')
    run = b.remote_run(ctx)
    assert run.apply(good)
    with pytest.raises(ParseError, match="nothing was written"):
        run.apply(forged)
    assert run.apply(after)
    run.commit()
    converged(a, b, ctx)
    assert not b.store.has_applied(ctx, forged.id)


def test_a_refused_write_stores_none_of_the_run(
    trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _, ctx = trio
    chain = [put(a, ctx, f"k{n}", '"v"') for n in range(3)]
    before, clock = stored(b, ctx), b.store.clock_last()

    def refuse(batch: StoreBatch) -> None:
        raise StoreUnavailable("the disk is full")

    monkeypatch.setattr(b.store, "write", refuse)
    notices: list[CommitNotice] = []
    b.subscribe(notices.append)
    run = b.remote_run(ctx)
    for delta in chain:
        run.apply(delta)
    with pytest.raises(StoreUnavailable):
        run.commit()
    assert notices == []
    monkeypatch.undo()
    assert stored(b, ctx) == before
    assert b.store.clock_last() == clock
    assert apply_run(b, ctx, chain) == 3
    converged(a, b, ctx)


def test_a_wasm_artifact_run_replays_each_delta_over_the_ones_before(
    tmp_path: Path, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def node(name: str, index: int) -> NodeCore:
        return NodeCore.open(tmp_path / name, index=index, runtime=runtime, wall_clock=FakeClock())

    with node("a", 1) as a, node("b", 2) as b, node("c", 3) as c:
        ctx = a.create_context(
            a.install_application(load_wat("kv_store"), source="t"), seed=SEED
        ).id
        join(a, b, ctx)
        join(a, c, ctx)
        calls = [("set", f'{{"key":"k{n % 3}","value":"{n}"}}') for n in range(7)]
        chain = [a.execute(ctx, method, args.encode()).delta for method, args in calls]
        chain.append(a.execute(ctx, "remove", b'{"key":"k1"}').delta)
        deltas = [delta for delta in chain if delta is not None]
        assert len(deltas) == len(chain)
        for delta in deltas:
            c.apply_delta(delta)
        written = count_writes(b.store, monkeypatch)
        assert apply_run(b, ctx, deltas) == len(deltas)
        assert len(written) == 1
        for peer in (b, c):
            assert list(peer.store.state_items(ctx)) == list(a.store.state_items(ctx))
            assert peer.context(ctx).root_hash == a.context(ctx).root_hash
            assert peer.context(ctx).heads == a.context(ctx).heads
            assert peer.check_consistency(ctx) == []
        assert (
            b.execute(ctx, "get", b'{"key":"k1"}').output
            == c.execute(ctx, "get", b'{"key":"k1"}').output
        )


# StagedStore over a real store
@pytest.fixture
def store(tmp_path: Path) -> Iterator[NodeStore]:
    store = NodeStore.open(tmp_path / "store")
    batch = store.batch()
    for key in (b"a", b"c", b"e"):
        batch.put_state(CTX, key, b"stored-" + key)
    batch.put_private(CTX, b"p", b"stored")
    batch.put_delta(CTX, b"d1", b"wire")
    store.write(batch)
    yield store
    store.close()


def staged_batch(fill: Callable[[StoreBatch], None]) -> StoreBatch:
    batch = StoreBatch()
    fill(batch)
    return batch


def test_staged_reads_see_the_run_and_the_store_sees_nothing(store: NodeStore) -> None:
    staged = StagedStore(store)
    before = list(store.state_items(CTX))

    def first(batch: StoreBatch) -> None:
        batch.put_state(CTX, b"b", b"staged-b")
        batch.put_state(CTX, b"c", None)
        batch.put_private(CTX, b"p", None)
        batch.put_delta(CTX, b"d2", b"wire")

    staged.stage(staged_batch(first))
    staged.stage(staged_batch(lambda batch: batch.put_state(CTX, b"e", b"staged-e")))
    assert list(staged.state_items(CTX)) == [
        (b"a", b"stored-a"), (b"b", b"staged-b"), (b"e", b"staged-e"),
    ]  # fmt: skip
    assert staged.state_reader(CTX).get(b"c") is None
    assert staged.private_get(CTX, b"p") is None
    assert staged.has_applied(CTX, b"d1")
    assert staged.has_applied(CTX, b"d2")
    assert not staged.has_applied(CTX, b"d3")
    assert list(store.state_items(CTX)) == before
    assert not store.has_applied(CTX, b"d2")
    store.write(staged.staged)
    assert list(store.state_items(CTX)) == list(staged.state_items(CTX))
    assert store.private_get(CTX, b"p") is None


def test_a_staged_run_refuses_a_range_removal_and_a_context_record(store: NodeStore) -> None:
    with pytest.raises(ValueError, match="range"):
        StagedStore(store).stage(staged_batch(lambda batch: batch.delete_context(CTX)))
    record = ContextRecord(id=CTX, application_id=CTX, root_hash=None, heads=[], members=[],
                           initialized=True, delta_count=0)  # fmt: skip
    with pytest.raises(ValueError, match="context record"):
        StagedStore(store).stage(staged_batch(lambda batch: batch.put_context(record)))


# the replication engine applying a released run
def broadcasts(ctx: bytes, chain: list[CausalDelta]) -> list[DeltaBroadcast[CausalDelta]]:
    """The chain's broadcasts, children first: the last one releases the whole chain."""
    return [DeltaBroadcast("a", ctx, delta) for delta in reversed(chain)]


def feed(sent: list[Outgoing], name: str) -> list[dict[str, object]]:
    return [item.event for item in sent if isinstance(item, Feed) and item.event["event"] == name]


def engine_of(node: NodeCore) -> tuple[ReplicaEngine, list[Outgoing]]:
    """A replication engine on ``node`` and the list its outgoing actions go to."""
    sent: list[Outgoing] = []
    return ReplicaEngine(node, sent.extend), sent


def delta_writes(written: list[StoreBatch]) -> int:
    return sum(any(op.cf == "deltas" for op in batch) for batch in written)


def test_a_released_chain_is_written_in_runs_of_the_limit(
    trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _, ctx = trio
    chain = [put(a, ctx, f"k{n}", '"v"') for n in range(5)]
    engine, sent = engine_of(b)
    monkeypatch.setattr(apply, "RUN_LIMIT", 2)
    written = count_writes(b.store, monkeypatch)
    engine.handle(broadcasts(ctx, chain), time.time_ns())
    assert delta_writes(written) == 3
    converged(a, b, ctx)
    assert [len(event["deltas"]) for event in feed(sent, "applied")] == [2, 2, 1]  # type: ignore[arg-type]


def test_a_refused_run_is_failed_whole_and_applies_when_sent_again(
    trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _, ctx = trio
    chain = [put(a, ctx, f"k{n}", '"v"') for n in range(3)]
    engine, sent = engine_of(b)
    before = stored(b, ctx)

    def refuse(batch: StoreBatch) -> None:
        raise StoreUnavailable("the disk is full")

    monkeypatch.setattr(b.store, "write", refuse)
    now = time.time_ns()
    engine.handle(broadcasts(ctx, chain), now)
    monkeypatch.undo()
    assert stored(b, ctx) == before
    assert feed(sent, "applied") == []
    # the first fails; the DAG drops the two built on it with it, to be fetched again
    assert [event["delta"] for event in feed(sent, "failed")] == [to_b58(chain[0].id)]
    dag = engine.sync.dag(ctx)
    assert not any(dag.is_known(delta.id) for delta in chain)
    engine.handle(broadcasts(ctx, chain), now + 2 * SECOND)  # after the back-off
    converged(a, b, ctx)


def test_a_run_that_cannot_start_fails_its_deltas_and_they_apply_when_sent_again(
    trio: Trio, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, _, ctx = trio
    delta = put(a, ctx, "k", '"1"')
    engine, sent = engine_of(b)

    def broken(ctx_id: bytes) -> RemoteRun:
        raise StoreError("the context record does not decode")

    monkeypatch.setattr(b, "remote_run", broken)
    now = time.time_ns()
    engine.handle(broadcasts(ctx, [delta]), now)
    monkeypatch.undo()
    assert [event["delta"] for event in feed(sent, "failed")] == [to_b58(delta.id)]
    assert not engine.sync.dag(ctx).is_known(delta.id)  # not stuck as "applying"
    engine.handle(broadcasts(ctx, [delta]), now + 2 * SECOND)
    converged(a, b, ctx)


def test_handlers_run_once_every_run_of_the_release_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_node(tmp_path / "a", 1) as a, open_node(tmp_path / "b", 2) as b:
        ctx = a.create_context(a.install_application(fake_wasm(), source="t"), seed=FAKE_SEED).id
        join(a, b, ctx)
        chain = [
            a.execute(ctx, "set", b'{"key":"k","value":"1"}').delta,
            a.execute(ctx, "remove", b'{"key":"k"}').delta,  # emits ItemRemoved -> on_removed
            a.execute(ctx, "set", b'{"key":"j","value":"2"}').delta,
        ]
        deltas = [delta for delta in chain if delta is not None]
        engine, _ = engine_of(b)
        monkeypatch.setattr(apply, "RUN_LIMIT", 1)
        ran: list[tuple[str, bool]] = []
        real = b.execute

        def execute(
            ctx_id: bytes, method: str, args: bytes, executor: bytes | None = None
        ) -> ExecuteResult:
            ran.append((method, b.store.has_applied(ctx, deltas[-1].id)))
            return real(ctx_id, method, args, executor)

        monkeypatch.setattr(b, "execute", execute)
        engine.handle(broadcasts(ctx, deltas), time.time_ns())
        assert ran == [("on_removed", True)]  # after the last run, not after its own
