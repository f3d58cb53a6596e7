"""Provides ``ACTIONS``: step type → the coroutine that runs it (``repeat`` and ``parallel``
are run by the runner itself)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from calimero_devnet.workflows import actions_apps as apps
from calimero_devnet.workflows import actions_blobs as blobs
from calimero_devnet.workflows import actions_deploy as deploy
from calimero_devnet.workflows import actions_faults as faults
from calimero_devnet.workflows import actions_fuzz as fuzz
from calimero_devnet.workflows import actions_identity as identity
from calimero_devnet.workflows import actions_namespaces as namespaces
from calimero_devnet.workflows import actions_nodes as nodes
from calimero_devnet.workflows import actions_snapshot as snapshots
from calimero_devnet.workflows import actions_waits as waits
from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.results import StepResult

Action = Callable[[Context, dict[str, Any], StepResult], Awaitable[dict[str, Any]]]

ACTIONS: dict[str, Action] = {
    "install_application": apps.install_application,
    "create_context": apps.create_context,
    "create_mesh": apps.create_mesh,
    "join_context": apps.join_context,
    "join": apps.join_context,
    "create_identity": identity.create_identity,
    "invite_identity": identity.invite_identity,
    "invite": identity.invite_identity,
    "invite_open": identity.invite_open,
    "join_open": identity.join_open,
    "call": apps.call,
    "wait": waits.wait,
    "wait_for_sync": waits.wait_for_sync,
    "assert": waits.assert_statements,
    "json_assert": waits.assert_statements,
    "wait_converged": waits.wait_converged,
    "wait_value": waits.wait_value,
    "script": nodes.script,
    "stop_node": nodes.stop_node,
    "start_node": nodes.start_node,
    "kill": nodes.kill,
    "restart": nodes.restart,
    "partition": nodes.partition,
    "heal": nodes.heal,
    "partition_peers": nodes.partition_peers,
    "heal_peers": nodes.heal_peers,
    "upload_blob": blobs.upload_blob,
    "download_blob": blobs.download_blob,
    "delete_blob": blobs.delete_blob,
    "create_namespace": namespaces.create_namespace,
    "create_group": namespaces.create_namespace,  # merobox's older name
    "create_group_in_namespace": namespaces.create_group_in_namespace,
    "list_namespaces": namespaces.list_namespaces,
    "list_namespace_groups": namespaces.list_namespace_groups,
    "latency": faults.latency,
    "loss": faults.loss,
    "redeploy": deploy.redeploy,
    "fuzz": fuzz.fuzz,
    "snapshot": snapshots.snapshot,
    "restore": snapshots.restore,
}

__all__ = ["ACTIONS", "Action", "Context"]
