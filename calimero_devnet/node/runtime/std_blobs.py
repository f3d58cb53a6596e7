"""Provides the blob ``env`` imports: ``blob_create/write/close/open/read/announce_to_context``.

Signatures and results follow the upstream runtime (calimero-runtime ``logic/host_functions/
blobs.rs``): ``blob_create() -> u64`` and ``blob_open(id buf) -> u64`` hand out a handle
(fd), ``blob_write(fd, data buf) -> u64`` and ``blob_read(fd, buf_mut) -> u64`` move at most
``Limits.max_blob_chunk`` bytes and answer the count, ``blob_close(fd, id buf_mut[32]) -> u32``
writes the blob id and answers 1, ``blob_announce_to_context(id buf, ctx buf) -> u32``
answers 1. Handles live for one call (fds count from 1; at most ``max_blob_handles`` open);
a bad or wrong-kind handle traps. As upstream, opening a blob the node lacks still gives a
handle, and reading it gives 0 bytes: the node first tries to fetch it from a peer that
announced it. The node puts its ``BlobHost`` in ``CallEnv.extensions["blobs"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from calimero_devnet.node.runtime.callstate import CallState
from calimero_devnet.node.runtime.hostimport import host_import

EXTENSION = "blobs"
_ID = 32


class BlobSink(Protocol):
    """A blob being written."""

    def write(self, data: bytes) -> int:
        """Append ``data``; return its length."""
        ...

    def close(self) -> bytes:
        """Finish the blob; return its 32-byte id."""
        ...


class BlobSource(Protocol):
    """A blob being read from its start."""

    def read(self, limit: int) -> bytes:
        """Up to ``limit`` bytes; b"" at the end."""
        ...


class BlobHost(Protocol):
    """What the blob imports need of the node."""

    def create(self) -> BlobSink:
        """Start a new blob."""
        ...

    def open(self, blob_id: bytes, context: bytes) -> BlobSource | None:
        """Read a blob, fetching it from peers of ``context`` if need be; None if nowhere."""
        ...

    def announce(self, blob_id: bytes, context: bytes) -> bool:
        """Tell ``context``'s other nodes this node has the blob; False if it does not."""
        ...


@dataclass(slots=True)
class _Handle:
    """One open handle: a blob being written (``sink``) or read (``source``, None: absent)."""

    blob_id: bytes
    sink: BlobSink | None = None
    source: BlobSource | None = None


class _Handles:
    """The open blob handles of one call."""

    def __init__(self) -> None:
        self.next_fd = 1
        self.open: dict[int, _Handle] = {}


def _host(call: CallState) -> BlobHost:
    host = call.env.extensions.get(EXTENSION)
    if host is None:
        call.trap("blobs are not available on this node (no blob store in the call)")
    return host  # type: ignore[return-value]


def _handles(call: CallState) -> _Handles:
    handles = call.data.get(EXTENSION)
    if not isinstance(handles, _Handles):
        handles = call.data[EXTENSION] = _Handles()
    return handles


def _new_fd(call: CallState, handle: _Handle) -> int:
    handles, limit = _handles(call), call.limits.max_blob_handles
    if len(handles.open) >= limit:
        call.trap(f"too many blob handles: at most {limit} may be open in one call")
    fd, handles.next_fd = handles.next_fd, handles.next_fd + 1
    handles.open[fd] = handle
    return fd


def _get(call: CallState, fd: int, what: str) -> _Handle:
    entry = _handles(call).open.get(fd)
    if entry is None:
        call.trap(f"{what}: {fd} is not an open blob handle of this call")
    return entry


@host_import("blob_create", "-> i64")
def blob_create(call: CallState) -> int:
    """Open a new blob for writing; return its handle."""
    return _new_fd(call, _Handle(b"", sink=_host(call).create()))


@host_import("blob_write", "i64 i64 -> i64")
def blob_write(call: CallState, fd: int, data: int) -> int:
    """Append the bytes of Buffer ``data`` to the blob of write handle ``fd``."""
    chunk = call.read_buffer(data, what="blob_write data", limit=call.limits.max_blob_chunk)
    sink = _get(call, fd, "blob_write").sink
    if sink is None:
        call.trap(f"blob_write: handle {fd} was opened for reading, not writing")
    return sink.write(chunk)


@host_import("blob_close", "i64 i64 -> i32")
def blob_close(call: CallState, fd: int, blob_id: int) -> int:
    """Close ``fd``; write the blob's id into the 32-byte Buffer ``blob_id``; answer 1."""
    (ptr, length) = call.buffers(blob_id)[0]
    call.check_len(length, "blob_close id buffer", exact=_ID)
    call.read(ptr, _ID)  # bounds first: a bad buffer must not lose the handle
    handle = _get(call, fd, "blob_close")
    del _handles(call).open[fd]
    call.write(ptr, handle.sink.close() if handle.sink is not None else handle.blob_id)
    return 1


@host_import("blob_open", "i64 -> i64")
def blob_open(call: CallState, blob_id: int) -> int:
    """Open a blob for reading (fetched from a peer if it is not here); return its handle."""
    wanted = call.read_buffer(blob_id, what="blob_open id", exact=_ID)
    source = _host(call).open(wanted, call.env.context_id)
    if source is None:
        call.log(
            f"[host] blob {wanted.hex()} is not on this node nor on any peer that announced it"
        )
    return _new_fd(call, _Handle(wanted, source=source))


@host_import("blob_read", "i64 i64 -> i64")
def blob_read(call: CallState, fd: int, buf: int) -> int:
    """Fill Buffer ``buf`` with the next bytes of read handle ``fd``; answer how many."""
    (ptr, length) = call.buffers(buf)[0]
    call.check_len(length, "blob_read buffer", limit=call.limits.max_blob_chunk)
    if length == 0:
        return 0  # before the handle is looked at, as upstream
    handle = _get(call, fd, "blob_read")
    if handle.sink is not None:
        call.trap(f"blob_read: handle {fd} was opened for writing, not reading")
    if handle.source is None:
        return 0
    call.read(ptr, length)  # bounds first: a bad buffer must not advance the reader
    data = handle.source.read(length)
    call.write(ptr, data)
    return len(data)


@host_import("blob_announce_to_context", "i64 i64 -> i32")
def blob_announce_to_context(call: CallState, blob_id: int, context: int) -> int:
    """Announce a blob this node has to ``context``'s other nodes; answer 1."""
    wanted = call.read_buffer(blob_id, what="blob_announce_to_context blob id", exact=_ID)
    target = call.read_buffer(context, what="blob_announce_to_context context id", exact=_ID)
    if not _host(call).announce(wanted, target):
        call.trap(f"blob_announce_to_context: blob {wanted.hex()} is not on this node")
    return 1


BLOB_IMPORTS = (
    blob_create,
    blob_write,
    blob_close,
    blob_open,
    blob_read,
    blob_announce_to_context,
)
