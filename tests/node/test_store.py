"""The node store: column families, atomic batches, prefix scans, locking, persistence."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from calimero_devnet.errors import StoreError
from calimero_devnet.node.state.records import AppRecord, ContextRecord
from calimero_devnet.node.state.store import NodeStore
from calimero_devnet.node.state.store_views import PrivateOverlay

CTX_A = b"\x00" * 31 + b"\x01"
CTX_B = b"\x00" * 31 + b"\x02"
CTX_FF = b"\xff" * 32


@pytest.fixture
def store(tmp_path: Path) -> Iterator[NodeStore]:
    opened = NodeStore.open(tmp_path / "store")
    yield opened
    opened.close()


def context_record(ctx: bytes, **changes: object) -> ContextRecord:
    fields: dict[str, object] = {
        "id": ctx, "application_id": b"\x0a" * 32, "root_hash": None, "heads": [],
        "members": [b"\x0b" * 32], "initialized": True, "delta_count": 0,
    }  # fmt: skip
    fields.update(changes)
    return ContextRecord(**fields)  # type: ignore[arg-type]


def test_the_store_directory_is_private(tmp_path: Path) -> None:
    NodeStore.open(tmp_path / "s").close()
    assert stat.S_IMODE(os.stat(tmp_path / "s").st_mode) == 0o700


def test_memtables_are_sized_for_a_devnet_node(tmp_path: Path) -> None:
    # RocksDB's default is 64 MiB per column family; eight of them would grow the RSS.
    NodeStore.open(tmp_path / "store").close()
    written = sorted((tmp_path / "store").glob("OPTIONS-*"))[-1].read_text()
    per_family = re.findall(r"^\s+write_buffer_size=(\d+)$", written, re.MULTILINE)
    assert len(per_family) == 9  # default + the eight families
    assert {int(size) for size in per_family} == {4 << 20}
    assert "db_write_buffer_size=16777216" in written


def test_one_batch_writes_every_family_together(store: NodeStore) -> None:
    record = context_record(CTX_A, heads=[b"\x0d" * 32], root_hash=b"\x0e" * 32, delta_count=1)
    batch = store.batch()
    batch.put_state(CTX_A, b"k", b"v")
    batch.put_delta(CTX_A, b"\x0d" * 32, b"wire")
    batch.put_context(record)
    batch.put_private(CTX_A, b"p", b"secret")
    batch.put_clock(123)
    assert len(batch) == 5
    assert store.state_get(CTX_A, b"k") is None  # nothing visible before write
    store.write(batch)
    assert store.state_get(CTX_A, b"k") == b"v"
    assert store.delta(CTX_A, b"\x0d" * 32) == b"wire"
    assert store.context(CTX_A) == record
    assert store.private_get(CTX_A, b"p") == b"secret"
    assert store.clock_last() == 123


def test_none_removes_a_key(store: NodeStore) -> None:
    for value in (b"v", None):
        batch = store.batch()
        batch.put_state(CTX_A, b"k", value)
        store.write(batch)
    assert store.state_get(CTX_A, b"k") is None
    assert list(store.state_items(CTX_A)) == []


def test_prefix_scans_stay_inside_their_context(store: NodeStore) -> None:
    batch = store.batch()
    for ctx in (CTX_A, CTX_B, CTX_FF):
        for key in (b"", b"\x00", b"a", b"\xff\xff"):
            batch.put_state(ctx, key, ctx[-1:] + key)
        batch.put_delta(ctx, b"\x01" * 32, b"d" + ctx[-1:])
    store.write(batch)
    expected = [(k, b"\x02" + k) for k in (b"", b"\x00", b"a", b"\xff\xff")]
    assert list(store.state_items(CTX_B)) == expected
    assert [k for k, _ in store.state_items(CTX_FF)] == [b"", b"\x00", b"a", b"\xff\xff"]
    assert list(store.deltas(CTX_A)) == [(b"\x01" * 32, b"d\x01")]
    assert list(store.state_items(b"\x00" * 32)) == []


def test_state_reader_and_private_overlay(store: NodeStore) -> None:
    batch = store.batch()
    batch.put_state(CTX_A, b"k", b"v")
    batch.put_private(CTX_A, b"p", b"old")
    store.write(batch)
    assert store.state_reader(CTX_A).get(b"k") == b"v"
    assert store.state_reader(CTX_B).get(b"k") is None
    overlay = PrivateOverlay(store, CTX_A)
    assert overlay.get(b"p") == b"old"
    overlay.put(b"p", None)
    overlay.put(b"q", b"new")
    assert (overlay.get(b"p"), overlay.get(b"q")) == (None, b"new")
    assert store.private_get(CTX_A, b"q") is None  # staged, not stored
    batch = store.batch()
    overlay.flush_into(batch)
    store.write(batch)
    assert (store.private_get(CTX_A, b"p"), store.private_get(CTX_A, b"q")) == (None, b"new")


def test_apps_and_contexts_are_listed(store: NodeStore) -> None:
    app = AppRecord(id=b"\x05" * 32, size=3, source="file:///a.wasm", metadata=b"m", methods=["x"])
    batch = store.batch()
    batch.put_app(app, b"abc")
    batch.put_context(context_record(CTX_B))
    batch.put_context(context_record(CTX_A))
    store.write(batch)
    assert store.app(app.id) == app
    assert store.app_blob(app.id) == b"abc"
    assert store.apps() == [app]
    assert [c.id for c in store.contexts()] == [CTX_A, CTX_B]
    assert store.app(b"\x06" * 32) is None
    assert store.context(CTX_FF) is None


def test_an_unchanged_context_record_is_decoded_once_and_a_changed_one_afresh(
    store: NodeStore,
) -> None:
    batch = store.batch()
    batch.put_context(context_record(CTX_A))
    store.write(batch)
    first = store.context(CTX_A)
    assert first is not None
    assert store.context(CTX_A) is first
    batch = store.batch()
    batch.put_context(context_record(CTX_A, heads=[b"\x0c" * 32], delta_count=1))
    store.write(batch)
    changed = store.context(CTX_A)
    assert changed is not None
    assert changed.heads == [b"\x0c" * 32]
    assert changed.delta_count == 1
    batch = store.batch()
    batch.delete_context(CTX_A)
    store.write(batch)
    assert store.context(CTX_A) is None


def test_everything_survives_close_and_reopen(tmp_path: Path) -> None:
    first = NodeStore.open(tmp_path / "s")
    batch = first.batch()
    batch.put_state(CTX_A, b"k", b"v")
    batch.put_identity_seed(b"\x07" * 32)
    first.write(batch)
    first.close()
    first.close()  # idempotent
    again = NodeStore.open(tmp_path / "s")
    try:
        assert again.state_get(CTX_A, b"k") == b"v"
        assert again.identity_seed() == b"\x07" * 32
    finally:
        again.close()


def test_a_second_open_in_this_process_is_refused_clearly(store: NodeStore) -> None:
    with pytest.raises(StoreError, match="is in use by another process"):
        NodeStore.open(store.path)


def test_a_corrupted_record_is_a_store_error(store: NodeStore) -> None:
    batch = store.batch()
    batch._put("contexts", CTX_A, b"\x01\x02")
    store.write(batch)
    with pytest.raises(StoreError, match="corrupted context record"):
        store.context(CTX_A)


def test_a_context_id_of_the_wrong_length_is_refused(store: NodeStore) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        store.state_get(b"short", b"k")


@pytest.mark.integration
def test_a_store_held_by_another_process_is_refused_clearly(tmp_path: Path) -> None:
    holder = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from calimero_devnet.node.state.store import NodeStore
        s = NodeStore.open(Path({str(tmp_path / "s")!r}))
        print("open", flush=True)
        sys.stdin.read()
        s.close()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"open\n"
        with pytest.raises(StoreError, match=r"node home .*/s is in use by another process"):
            NodeStore.open(tmp_path / "s")
    finally:
        proc.communicate(b"", timeout=30)
    NodeStore.open(tmp_path / "s").close()  # free again once the holder exits
