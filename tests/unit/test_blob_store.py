"""The content-addressed blob store: upstream's ids, chunking, atomic visibility, delete."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from calimero_devnet.node.blobs.store import CHUNK_SIZE, BlobStore, BlobTooLarge, blob_id_of


def _upstream_id(data: bytes) -> bytes:
    """The id calimero-blobstore gives ``data``: sha256 over the sha256 of each 1 MiB chunk."""
    chunks = [data[i : i + CHUNK_SIZE] for i in range(0, len(data), CHUNK_SIZE)]
    return hashlib.sha256(b"".join(hashlib.sha256(c).digest() for c in chunks)).digest()


@pytest.mark.parametrize("size", [0, 5, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE + 7])
def test_ids_sizes_and_content_round_trip(tmp_path: Path, size: int) -> None:
    data = bytes(i % 251 for i in range(size))
    store = BlobStore(tmp_path)
    meta = store.put(data)
    assert meta.blob_id == _upstream_id(data)
    assert meta.size == size
    assert meta.hash == hashlib.sha256(data).digest()
    assert len(meta.links) == -(-size // CHUNK_SIZE)
    assert store.read_all(meta.blob_id) == data


def test_empty_blob_id_is_sha256_of_nothing(tmp_path: Path) -> None:
    meta = BlobStore(tmp_path).put(b"")
    assert meta.blob_id == hashlib.sha256(b"").digest() == blob_id_of([])


def test_writes_in_pieces_give_the_same_blob(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    data = b"x" * (CHUNK_SIZE + 100)
    writer = store.writer()
    for i in range(0, len(data), 333_333):
        writer.write(data[i : i + 333_333])
    assert writer.close().blob_id == store.put(data).blob_id


def test_a_blob_is_invisible_until_closed(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    writer = store.writer()
    writer.write(b"a" * (CHUNK_SIZE + 1))  # one chunk already on disk
    assert store.all() == []
    meta = writer.close()
    assert [m.blob_id for m in store.all()] == [meta.blob_id]


def test_reader_reads_across_chunks_in_any_sizes(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    data = bytes(range(256)) * (CHUNK_SIZE // 128)
    reader = store.open(store.put(data).blob_id)
    assert reader is not None
    got = b""
    while piece := reader.read(700_001):
        got += piece
    assert got == data
    assert reader.position == len(data)


def test_size_limit_refuses_and_leaves_nothing(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, max_bytes=10)
    writer = store.writer()
    writer.write(b"123456")
    with pytest.raises(BlobTooLarge, match="limit of 10 bytes"):
        writer.write(b"12345")
    assert store.all() == []


def test_delete_keeps_chunks_shared_with_other_blobs(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    first = store.put(b"s" * CHUNK_SIZE + b"tail-a")
    second = store.put(b"s" * CHUNK_SIZE + b"tail-b")
    assert store.delete(first.blob_id)
    assert not store.delete(first.blob_id)
    assert store.meta(first.blob_id) is None
    assert store.read_all(second.blob_id) == b"s" * CHUNK_SIZE + b"tail-b"


def test_reopening_drops_unfinished_writes(tmp_path: Path) -> None:
    BlobStore(tmp_path)
    (tmp_path / "tmp" / "half-written").write_bytes(b"partial")
    BlobStore(tmp_path)
    assert list((tmp_path / "tmp").iterdir()) == []
