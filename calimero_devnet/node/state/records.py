"""Provides the Borsh-encoded records the store keeps per application and per context.

The context record is read and rewritten on every commit, so it goes through a hand codec
(``node/borsh_codec.py``) that writes the bytes its pyborsh model defines.
"""

from __future__ import annotations

from typing import Annotated

from pyborsh import U64, Borsh, BorshError, Bytes
from pydantic import BaseModel, ConfigDict

from calimero_devnet.errors import StoreError
from calimero_devnet.node.borsh_codec import ReadError, RecordCodec

Id32 = Annotated[bytes, Bytes(32)]


class AppRecord(Borsh, BaseModel):
    """An installed application (its WASM bytes live in the ``app_blobs`` column family)."""

    model_config = ConfigDict(frozen=True)

    id: Id32
    size: Annotated[int, U64]
    source: str
    metadata: Annotated[bytes, Bytes()]
    methods: list[str]


class ContextRecord(Borsh, BaseModel):
    """A context as this node knows it: its app, DAG heads, root hash and members."""

    model_config = ConfigDict(frozen=True)

    id: Id32
    application_id: Id32
    root_hash: Id32 | None
    heads: list[Id32]
    members: list[Id32]
    initialized: bool
    delta_count: Annotated[int, U64]


_CONTEXT = RecordCodec(
    ContextRecord,
    (
        ("id", "id"), ("application_id", "id"), ("root_hash", "opt_id"), ("heads", "ids"),
        ("members", "ids"), ("initialized", "bool"), ("delta_count", "u64"),
    ),
)  # fmt: skip


def encode_context(record: ContextRecord) -> bytes:
    """The ``contexts`` value of ``record``."""
    return _CONTEXT.encode(record)


def decode_app(data: bytes) -> AppRecord:
    """Decode an ``apps`` value, or raise ``StoreError`` (the store is corrupted)."""
    try:
        return AppRecord.from_borsh(data)
    except BorshError as exc:
        raise StoreError(f"corrupted application record ({len(data)} bytes): {exc}") from exc


def decode_context(data: bytes) -> ContextRecord:
    """Decode a ``contexts`` value, or raise ``StoreError`` (the store is corrupted)."""
    try:
        return _CONTEXT.decode(data)
    except ReadError as exc:
        raise StoreError(f"corrupted context record ({len(data)} bytes): {exc}") from exc
