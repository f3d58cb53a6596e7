"""Provides the catalogue of step types: the fields each takes, and the ones we lack.

``STEPS`` lists the types ``devnet run`` runs: merobox's (with merobox's field names) and
our extensions. ``NOT_HERE`` lists merobox's types that need node features this devnet
does not have (namespace governance: invitations, joins, members, upgrades; auth, TEE,
Docker):
a file using one fails before anything starts, naming them. Any other type is a typo.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StepSpec:
    """The fields of one step type: ``required``, ``optional``, and ``not_applicable`` ones
    (accepted, reported, without effect here); ``extension`` marks our own types."""

    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    not_applicable: frozenset[str] = frozenset()
    extension: bool = False

    @property
    def fields(self) -> frozenset[str]:
        """Every field the type accepts."""
        return self.required | self.optional | self.not_applicable


def _spec(
    required: str = "", optional: str = "", not_applicable: str = "", extension: bool = False
) -> StepSpec:
    return StepSpec(
        frozenset(required.split()),
        frozenset(optional.split()),
        frozenset(not_applicable.split()),
        extension,
    )


_NS = "namespace_id group_id recursive"  # merobox's newer namespace invitations

# Keys every step may carry (merobox's "common step keys").
COMMON = frozenset({"type", "name", "description", "outputs", "expected_failure", "expected_error"})

STEPS: dict[str, StepSpec] = {
    "install_application": _spec("node", "path package version", "dev"),
    "create_context": _spec("node application_id", "params group_id", "service_name"),
    "create_mesh": _spec("context_node application_id nodes", "params", "capability"),
    "join_context": _spec("node context_id", "invitee_id invitation"),
    "create_identity": _spec("node"),
    # merobox's context-invitation form; the namespace form is refused in steps_check
    "invite_identity": _spec("node", "context_id granter_id grantee_id capability " + _NS),
    "invite": _spec("node", "context_id granter_id grantee_id capability " + _NS),
    "join": _spec("node", "context_id invitation invitee_id " + _NS),
    "invite_open": _spec("node context_id granter_id", "valid_for_blocks"),
    "join_open": _spec("node", "invitee_id invitation " + _NS),
    # `timeout` on a call: merobox's step runner ignored it (seen in curb-js's workflows)
    "call": _spec(
        "node context_id method",
        "args executor_public_key allow_failure",
        "unauthenticated timeout",
    ),
    # merobox's step runner waits 5 s without `seconds` and ignored `duration` (seen upstream;
    # its newer schema refuses both)
    "wait": _spec("", "seconds message", "duration"),
    "wait_for_sync": _spec(
        "nodes",
        "context_id group_id timeout check_interval trigger_sync "
        "initial_check_interval backoff_factor",
    ),
    "assert": _spec("statements", "non_blocking"),
    "json_assert": _spec("statements", "non_blocking"),
    "repeat": _spec("count steps"),
    "parallel": _spec("groups", "failure_mode mode"),
    "script": _spec("script", "target"),
    "stop_node": _spec("nodes"),
    "start_node": _spec("nodes", "wait_for_ready wait_timeout"),
    "partition_peers": _spec("node peers"),
    "heal_peers": _spec("node peers"),
    "upload_blob": _spec("node file_path", "context_id"),
    "download_blob": _spec("node blob_id", "context_id output_path expected_size expected_sha256"),
    "delete_blob": _spec("node blob_id", "missing_ok"),
    "create_namespace": _spec("node application_id", "app_key namespace_name"),
    "create_group": _spec("node application_id", "app_key namespace_name"),
    "create_group_in_namespace": _spec("node namespace_id", "group_name visibility"),
    "list_namespaces": _spec("node"),
    "list_namespace_groups": _spec("node namespace_id"),
    # devnet extensions
    "partition": _spec("groups", extension=True),
    "heal": _spec(extension=True),
    "kill": _spec("nodes", extension=True),
    "restart": _spec("nodes", extension=True),
    "wait_converged": _spec("", "context_id nodes timeout", extension=True),
    "wait_value": _spec("context_id method", "args expected nodes timeout", extension=True),
    "latency": _spec("ms", "from to nodes jitter_ms seed", extension=True),
    "loss": _spec("percent", "from to nodes seed", extension=True),
    "redeploy": _spec("path", "application_id timeout", extension=True),
    "fuzz": _spec(
        "context_id methods calls",
        "seed nodes concurrency partitions allow_errors timeout",
        extension=True,
    ),
    "snapshot": _spec("snapshot", extension=True),
    "restore": _spec("snapshot", "timeout", extension=True),
}

NOT_HERE = frozenset(
    """
    uninstall_application get_application list_application_versions delete_context
    join_subgroup_inheritance create_namespace_invitation
    join_namespace reparent_group node_identity
    list_subgroups get_group_info list_group_contexts list_group_members
    add_group_members remove_group_members update_member_role set_member_capabilities
    get_member_capabilities set_default_capabilities set_member_auto_follow
    set_subgroup_visibility set_default_visibility leave_context leave_group leave_namespace
    set_group_metadata get_group_metadata set_member_metadata get_member_metadata
    set_context_metadata get_context_metadata detach_context_from_group sync_group
    register_group_signing_key delete_group delete_namespace
    create_group_invitation join_group account_create
    account_pair account_revoke account_show node_exec sign_warrant perform_intent login
    refresh ws_connect ws_subscribe assert_ws_event upgrade_group
    cascade_namespace_application assert_cascade_complete assert_migration_complete
    get_group_upgrade_status get_cascade_status get_migration_status abort_migration
    retry_group_upgrade resync_context list_proposals get_proposal get_proposal_approvers
    delete_blob_on_disk pause_container
    unpause_container restart_container disconnect_node connect_node inject_network_fault
    assert_log_present assert_log_absent assert_api_response fuzzy_test
    set_tee_admission_policy tee_fleet_join assert_tee_member assert_not_member
    """.split()  # noqa: SIM905  (a word list reads best as words)
)

# Top-level keys: what they do here.
TOP_USED = frozenset(
    {
        "name",
        "description",
        "nodes",
        "steps",
        "stop_all_nodes",
        "wait_timeout",
        "log_level",
        "nuke_on_start",
        "nuke_on_end",
    }
)
TOP_NOT_APPLICABLE = frozenset(
    {
        "image",
        "force_pull_image",
        "chain_id",
        "restart",
        "auth_image",
        "auth_use_cached",
        "webui_use_cached",
        "rust_backtrace",
        "no_docker",
        "binary_path",
        "e2e_mode",
        "preserve_default_bootstrap",
        "bootstrap_nodes",
        "auth_service",
    }
)
TOP_NOT_HERE = frozenset({"remote_nodes", "topology", "auth_mode"})

# ``nodes:`` keys, count form and per node in the explicit form.
COUNT_USED = frozenset({"count", "prefix", "base_rpc_port"})
COUNT_NOT_APPLICABLE = frozenset(
    {
        "image",
        "base_port",
        "config_path",
        "use_image_entrypoint",
        "mdns",
        "network_admin",
        "chain_id",
        "force_pull_image",
    }
)
NODE_USED = frozenset({"rpc_port"})
NODE_NOT_APPLICABLE = frozenset({"port", "image", "config_path", "mock_tee", "chain_id"})
DEFAULT_PREFIX = "calimero-node"
