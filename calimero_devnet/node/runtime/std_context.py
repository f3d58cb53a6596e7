"""Provides the context-membership reads of upstream's node (``context_is_member``,
``context_members``), which its JS SDK's ``env.contextIsMember`` / ``env.contextMembers``
call: the members this node stores for the running context (``CallEnv.members``).

Upstream's membership changes (``context_add_member``, ``context_remove_member``,
``context_create``, ``context_delete``) and ``context_resolve_alias`` are not served: a
devnet has no context governance, so `devnet build` refuses apps that use them
(``toolchain/refused.py``) and a module built elsewhere gets the trapping stub of §1.
"""

from __future__ import annotations

import struct

from calimero_devnet.node.runtime.callstate import CallState
from calimero_devnet.node.runtime.hostimport import host_import


@host_import("context_is_member", "i64 -> i32")
def context_is_member(call: CallState, public_key: int) -> int:
    """1 if the 32-byte ``public_key`` is a member of the running context, else 0."""
    key = call.read_buffer(public_key, what="member public key", exact=32)
    return int(key in call.env.members)


@host_import("context_members", "i64 ->")
def context_members(call: CallState, reg: int) -> None:
    """Register ← the members as upstream encodes them: Borsh ``Vec<[u8; 32]>``."""
    members = call.env.members
    call.set_register(reg, struct.pack("<I", len(members)) + b"".join(members))


CONTEXT_IMPORTS = (context_is_member, context_members)
