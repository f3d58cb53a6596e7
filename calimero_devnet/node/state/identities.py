"""Provides the keys a node holds: its own identity and those created on it for contexts.

Upstream's ``POST /admin-api/identity/context`` creates a key pair on a node; the key can
then be invited into a context and, once it joined, calls can run as it. The private seed
of such a key lives only in the node's store (``node`` column family, key
``identity.held/<public key>``); only the public key ever leaves the node.
"""

from __future__ import annotations

from calimero_devnet.errors import InvalidExecutor
from calimero_devnet.ids import to_b58
from calimero_devnet.node.state.identity import NodeIdentity
from calimero_devnet.node.state.records import ContextRecord
from calimero_devnet.node.state.store import NodeStore


class HeldIdentities:
    """The node's own identity plus every identity created on this node."""

    def __init__(self, store: NodeStore, own: NodeIdentity, node: str) -> None:
        """Read and write held keys in ``store``; ``own`` is the node's identity."""
        self._store = store
        self.own = own
        self._node = node
        self._loaded: dict[bytes, NodeIdentity] = {own.public_key: own}

    def generate(self) -> NodeIdentity:
        """Create, persist and return a fresh identity."""
        identity = NodeIdentity.generate()
        batch = self._store.batch()
        batch.put_held_identity(identity.public_key, identity.seed)
        self._store.write(batch)
        self._loaded[identity.public_key] = identity
        return identity

    def get(self, public_key: bytes) -> NodeIdentity | None:
        """The identity of ``public_key`` if this node holds its private key."""
        known = self._loaded.get(public_key)
        if known is not None:
            return known
        seed = self._store.held_identity_seed(public_key)
        if seed is None:
            return None
        self._loaded[public_key] = identity = NodeIdentity(seed)
        return identity

    def public_keys(self) -> list[bytes]:
        """The node's own key first, then every created key, ascending."""
        return [self.own.public_key, *self._store.held_identities()]

    def require(self, public_key: bytes, what: str = "executor") -> NodeIdentity:
        """The held identity of ``public_key``.

        Raises:
            InvalidExecutor: this node holds no private key for it.
        """
        identity = self.get(public_key)
        if identity is None:
            raise InvalidExecutor(
                f"node {self._node} holds no key for {what} {to_b58(public_key)}: create the "
                "identity on this node (POST /admin-api/identity/context), or name one it holds"
            )
        return identity

    def signer_for(self, record: ContextRecord, executor: bytes | None) -> NodeIdentity:
        """Who runs and signs a call on ``record``'s context: the node, or ``executor``.

        Raises:
            InvalidExecutor: the node holds no key for ``executor``, or it is not a member.
        """
        if executor is None or executor == self.own.public_key:
            return self.own
        identity = self.require(executor)
        if executor not in record.members:
            raise InvalidExecutor(
                f"executor {to_b58(executor)} is not a member of context {to_b58(record.id)} "
                f"on node {self._node}: invite it (POST /admin-api/contexts/invite) and join "
                "with that invitation first"
            )
        return identity
