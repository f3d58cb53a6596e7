"""Provides the event, cross-call, crypto and governance ``env`` imports of HOST-ABI §4."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from calimero_devnet.node.runtime.callstate import CallState
from calimero_devnet.node.runtime.hostimport import host_import
from calimero_devnet.node.runtime.types import Event, XCall

_MAX_NAME = 256  # method names are 1-256 chars (HOST-ABI §1)


def _emit(call: CallState, event: int, handler: str | None) -> None:
    lim = call.limits
    if len(call.outcome.events) >= lim.max_events:
        call.trap(f"more than {lim.max_events} events in one call")
    (kind_ptr, kind_len), (data_ptr, data_len) = call.buffers(event, 2)
    call.check_len(kind_len, "event kind", lim.max_event_kind)
    call.check_len(data_len, "event data", lim.max_event_data)
    raw_kind = call.read(kind_ptr, kind_len)
    try:
        kind = raw_kind.decode("utf-8")
    except UnicodeDecodeError:
        call.trap(f"event kind {raw_kind!r} is not valid UTF-8")
    call.outcome.events.append(Event(kind, call.read(data_ptr, data_len), handler))


@host_import("emit", "i64 ->")
def emit(call: CallState, event: int) -> None:
    """Record an Event (kind ≤ 100 bytes UTF-8, data ≤ 16 KiB)."""
    _emit(call, event, None)


@host_import("emit_with_handler", "i64 i64 ->")
def emit_with_handler(call: CallState, event: int, handler: int) -> None:
    """Record an Event that receivers answer by running ``handler`` (pointer 0 = none)."""
    name = None
    if handler:
        name = call.read_str(handler, what="event handler name", limit=_MAX_NAME) or None
    _emit(call, event, name)


@host_import("xcall", "i64 ->")
def xcall(call: CallState, ptr: int) -> None:
    """Queue a call on another context of this node, run after this call."""
    lim = call.limits
    if len(call.outcome.xcalls) >= lim.max_xcalls:
        call.trap(f"more than {lim.max_xcalls} xcalls in one call")
    context, function, params = (ptr, ptr + 16, ptr + 32)
    target = call.read_buffer(context, what="xcall context id", exact=32)
    name = call.read_str(function, what="xcall function name", limit=_MAX_NAME)
    data = call.read_buffer(params, what="xcall params", limit=lim.max_value)
    call.outcome.xcalls.append(XCall(target, name, data))


@host_import("ed25519_verify", "i64 i64 i64 -> i32")
def ed25519_verify(call: CallState, signature: int, public_key: int, message: int) -> int:
    """1 if ``signature`` (64 bytes) over ``message`` is valid for ``public_key`` (32)."""
    sig = call.read_buffer(signature, what="ed25519 signature", exact=64)
    key = call.read_buffer(public_key, what="ed25519 public key", exact=32)
    msg = call.read_buffer(message, what="ed25519 message", limit=call.limits.max_value)
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(sig, msg)
    except (InvalidSignature, ValueError):
        return 0
    return 1


@host_import("send_proposal", "i64 i64 ->")
def send_proposal(call: CallState, actions: int, proposal_id: int) -> None:
    """Write a random 32-byte proposal id; the devnet only logs the Borsh actions."""
    data = call.read_buffer(actions, what="proposal actions", limit=call.limits.max_value)
    new_id = call.env.random_bytes(32)
    call.write_buffer(proposal_id, new_id, what="proposal id buffer")
    call.log(f"[host] proposal {new_id.hex()} sent ({len(data)} bytes of actions)")


@host_import("approve_proposal", "i64 ->")
def approve_proposal(call: CallState, proposal_id: int) -> None:
    """Record an approval; it has no other effect in a devnet."""
    approved = call.read_buffer(proposal_id, what="proposal id", exact=32)
    call.log(f"[host] proposal {approved.hex()} approved")


MISC_IMPORTS = (
    emit,
    emit_with_handler,
    xcall,
    ed25519_verify,
    send_proposal,
    approve_proposal,
)
