"""Provides ``Namespaces``: the namespaces and groups a node keeps, as upstream's admin API
makes them (``POST /admin-api/namespaces``, ``POST .../namespaces/<id>/groups``).

A namespace is a root group bound to one application; a group lives in a namespace and
has its application; a context created with ``groupId`` is recorded in that group, and
must run the group's application. Ids are 32 random bytes, shown as hex as upstream's.
They are node-local records (the ``node`` column family, key ``group/<id>``): upstream's
namespace governance (invitations, joins, roles, upgrades) is not here, so no other node
learns of them; contexts still replicate and are joined as before.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from calimero_devnet.errors import ApplicationNotFound, GroupNotFound, InvalidArgs
from calimero_devnet.ids import to_b58
from calimero_devnet.node.state.store import NodeStore

VISIBILITIES = ("open", "restricted")


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """One namespace (``parent`` None) or group; ``contexts`` are base58 context ids."""

    id: str
    application_id: str
    parent: str | None = None
    name: str | None = None
    visibility: str = "restricted"
    contexts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        """The record in the admin API's camelCase (a group's fields; see ``admin_namespaces``)."""
        return {
            "groupId": self.id, "targetApplicationId": self.application_id,
            "parentGroupId": self.parent, "name": self.name,
            "visibility": self.visibility, "contexts": list(self.contexts),
            "contextCount": len(self.contexts),
        }  # fmt: skip


class Namespaces:
    """The namespaces and groups of one node, read and written through its store."""

    def __init__(self, store: NodeStore, node: str) -> None:
        """Keep records in ``store``; ``node`` names this node in errors."""
        self._store = store
        self._node = node

    def create_namespace(self, app_id: bytes, name: str | None = None) -> str:
        """Make a namespace for an installed app; return its hex id.

        Raises:
            ApplicationNotFound: the app is not installed on this node.
        """
        if self._store.app(app_id) is None:
            raise ApplicationNotFound(
                f"application {to_b58(app_id)} is not installed on node {self._node}: "
                "install it before creating a namespace for it"
            )
        return self._write(GroupRecord(os.urandom(32).hex(), to_b58(app_id), name=name))

    def create_group(self, namespace_id: str, name: str | None, visibility: str | None) -> str:
        """Make a group in a namespace (visibility ``open`` unless told); return its hex id.

        Raises:
            GroupNotFound: no such namespace here. InvalidArgs: ``namespace_id`` names a
                group, not a namespace, or the visibility is not open/restricted.
        """
        namespace = self.get(namespace_id)
        if namespace.parent is not None:
            raise InvalidArgs(f"{namespace_id} is a group, not a namespace: give a namespace id")
        chosen = (visibility or "open").lower()
        if chosen not in VISIBILITIES:
            raise InvalidArgs(f"invalid visibility {visibility!r}: expected open or restricted")
        record = GroupRecord(os.urandom(32).hex(), namespace.application_id, namespace.id,
                             name, chosen)  # fmt: skip
        return self._write(record)

    def get(self, group_id: str) -> GroupRecord:
        """The namespace or group of that hex id.

        Raises:
            GroupNotFound.
        """
        for record in self.all():
            if record.id == group_id.lower():
                return record
        raise GroupNotFound(
            f"no namespace or group {group_id} on node {self._node}: create it with "
            "POST /admin-api/namespaces (or .../namespaces/<id>/groups) first"
        )

    def all(self) -> list[GroupRecord]:
        """Every namespace and group, by id."""
        return [GroupRecord(**json.loads(raw)) for _, raw in self._store.groups()]

    def namespaces(self) -> list[GroupRecord]:
        """The namespaces (root groups) only."""
        return [record for record in self.all() if record.parent is None]

    def groups_of(self, namespace_id: str) -> list[GroupRecord]:
        """The groups of a namespace (raises ``GroupNotFound`` for an unknown one)."""
        namespace = self.get(namespace_id)
        return [record for record in self.all() if record.parent == namespace.id]

    def check_context(self, group_id: str, app_id: bytes) -> None:
        """Refuse a context of ``app_id`` in a group that runs another app.

        Raises:
            GroupNotFound; InvalidArgs: the applications differ.
        """
        group = self.get(group_id)
        if group.application_id != to_b58(app_id):
            raise InvalidArgs(
                f"group {group.id} runs application {group.application_id}, not "
                f"{to_b58(app_id)}: create the context with the group's application"
            )

    def add_context(self, group_id: str, context_id: bytes) -> None:
        """Record that a context belongs to a group."""
        group = self.get(group_id)
        contexts = sorted({*group.contexts, to_b58(context_id)})
        self._write(GroupRecord(**{**asdict(group), "contexts": contexts}))

    def _write(self, record: GroupRecord) -> str:
        batch = self._store.batch()
        batch.put_group(bytes.fromhex(record.id), json.dumps(asdict(record)).encode())
        self._store.write(batch)
        return record.id
