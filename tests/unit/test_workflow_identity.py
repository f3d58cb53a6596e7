"""The identity steps and ``call`` as an executor: what they send to a node, what they export."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from calimero_devnet.cluster.nodeclient import JOIN_TIMEOUT_S
from calimero_devnet.workflows.actions import ACTIONS
from calimero_devnet.workflows.catalogue import NOT_HERE, STEPS
from calimero_devnet.workflows.context import Context
from calimero_devnet.workflows.parse import parse_workflow
from calimero_devnet.workflows.results import StepFailed, StepResult
from tests.unit.test_workflow_parse import INSTALL, error_of, write

CTX, KEY, INVITER = "CtxId", "InviteeKey", "InviterKey"


class FakeClient:
    """Answers admin requests as a node would; records them and the executes."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, str, Any]] = []
        self.waits: dict[str, float | None] = {}

    async def admin(
        self, verb: str, path: str, body: Any = None, wait_s: float | None = None
    ) -> Any:
        self.sent.append((verb, path, body))
        self.waits[path] = wait_s
        return self.answers[path]

    async def execute(self, context_id: str, method: str, args: Any, *, executor: Any) -> Any:
        self.sent.append(("execute", method, executor))
        return "done"


class FakeContext(Context):
    def __init__(self, client: FakeClient, tmp_path: Path) -> None:
        rollout = SimpleNamespace(contexts={})
        super().__init__(cast(Any, SimpleNamespace(rollout=rollout)), tmp_path, 5.0)
        self.fake = client

    def client(self, node: str) -> Any:
        return self.fake


def run(ctx: Context, step: str, **fields: Any) -> dict[str, Any]:
    result = StepResult("step 1", step, step, ok=True, seconds=0.0)

    async def go() -> dict[str, Any]:
        return await ACTIONS[step](ctx, fields, result)

    return asyncio.run(go())


@pytest.fixture
def client() -> FakeClient:
    return FakeClient({
        "identity/context": {"publicKey": KEY},
        "contexts/invite": "PayloadB58",
        "contexts/join": {"contextId": CTX, "memberPublicKey": KEY},
        "contexts/invite_by_open_invitation": {"invitation": {"context_id": CTX}},
        "contexts/join_by_open_invitation": {"contextId": CTX, "memberPublicKey": KEY},
    })  # fmt: skip


def test_create_identity_exports_the_public_key(tmp_path: Path, client: FakeClient) -> None:
    ctx = FakeContext(client, tmp_path)
    assert run(ctx, "create_identity", node="n-2") == {"publicKey": KEY}
    assert client.sent == [("POST", "identity/context", {})]
    assert ctx.values["public_key_n-2"] == KEY


@pytest.mark.parametrize("step", ["invite_identity", "invite"])
def test_an_invitation_is_asked_in_upstreams_shape(
    tmp_path: Path, client: FakeClient, step: str
) -> None:
    ctx = FakeContext(client, tmp_path)
    fields = {"node": "n-1", "context_id": CTX, "granter_id": INVITER, "grantee_id": KEY}
    assert run(ctx, step, **fields, capability="member") == {"invitation": "PayloadB58"}
    body = {"contextId": CTX, "inviterId": INVITER, "inviteeId": KEY}
    assert client.sent == [("POST", "contexts/invite", body)]
    assert ctx.values[f"invitation_data_n-1_{KEY}"] == "PayloadB58"


@pytest.mark.parametrize("step", ["join_context", "join"])
def test_joining_by_invitation_sends_the_payload(
    tmp_path: Path, client: FakeClient, step: str
) -> None:
    ctx = FakeContext(client, tmp_path)
    out = run(ctx, step, node="n-2", context_id=CTX, invitee_id=KEY, invitation="PayloadB58")
    assert out == {"contextId": CTX, "memberPublicKey": KEY, "memberIdentity": KEY}
    assert client.sent == [("POST", "contexts/join", {"invitationPayload": "PayloadB58"})]
    assert client.waits["contexts/join"] == JOIN_TIMEOUT_S  # a join may wait for a snapshot
    assert ctx.members[CTX] == ["n-2"]


def test_an_invitation_for_another_identity_fails_the_join(
    tmp_path: Path, client: FakeClient
) -> None:
    ctx = FakeContext(client, tmp_path)
    with pytest.raises(StepFailed, match=f"the invitation is for {KEY}, not for Someone"):
        run(ctx, "join_context", node="n-2", context_id=CTX, invitee_id="Someone",
            invitation="PayloadB58")  # fmt: skip


def test_open_invitations_are_asked_and_used_in_upstreams_shape(
    tmp_path: Path, client: FakeClient
) -> None:
    ctx = FakeContext(client, tmp_path)
    opened = run(ctx, "invite_open", node="n-1", context_id=CTX, granter_id=INVITER)
    assert opened == {"invitation": {"invitation": {"context_id": CTX}}}
    joined = run(ctx, "join_open", node="n-2", invitee_id=KEY, invitation=opened["invitation"])
    assert joined == {"contextId": CTX, "memberPublicKey": KEY}
    body = {"contextId": CTX, "inviterId": INVITER, "validForBlocks": 1000}
    assert client.sent == [
        ("POST", "contexts/invite_by_open_invitation", body),
        ("POST", "contexts/join_by_open_invitation",
         {"invitation": opened["invitation"], "newMemberPublicKey": KEY}),
    ]  # fmt: skip
    assert ctx.members[CTX] == ["n-2"]


def test_call_runs_as_the_executor_public_key(tmp_path: Path, client: FakeClient) -> None:
    ctx = FakeContext(client, tmp_path)
    run(ctx, "call", node="n-2", context_id=CTX, method="set", executor_public_key=KEY)
    run(ctx, "call", node="n-2", context_id=CTX, method="get")
    assert client.sent == [("execute", "set", KEY), ("execute", "get", None)]


def test_the_identity_steps_run_and_are_not_listed_as_missing() -> None:
    for step in ("create_identity", "invite_identity", "invite", "join", "invite_open",
                 "join_open"):  # fmt: skip
        assert step in STEPS
        assert step in ACTIONS
        assert step not in NOT_HERE
    assert STEPS["join_context"].optional == {"invitee_id", "invitation"}


FLOW = """\
  - type: create_context
    node: n-1
    application_id: '{{app_id}}'
    outputs:
      context_id: contextId
      member_key: memberPublicKey
  - type: create_identity
    node: n-2
  - type: invite_identity
    node: n-1
    context_id: '{{context_id}}'
    granter_id: '{{member_key}}'
    grantee_id: '{{public_key_n-2}}'
    capability: member
    outputs:
      invitation: invitation
  - type: join_context
    node: n-2
    context_id: '{{context_id}}'
    invitee_id: '{{public_key_n-2}}'
    invitation: '{{invitation}}'
  - type: call
    node: n-2
    context_id: '{{context_id}}'
    executor_public_key: '{{public_key_n-2}}'
    method: set
"""


def test_merobox_s_invitation_flow_parses_with_its_own_variables(tmp_path: Path) -> None:
    flow = parse_workflow(write(tmp_path, INSTALL + FLOW), tmp_path)
    kinds = [step.kind for step in flow.steps]
    assert kinds == ["install_application", "create_context", "create_identity",
                     "invite_identity", "join_context", "call"]  # fmt: skip


def test_the_namespace_form_of_invite_and_join_is_listed_as_unsupported(tmp_path: Path) -> None:
    steps = (
        INSTALL
        + """\
  - type: invite
    node: n-1
    namespace_id: ns
  - type: join
    node: n-2
    group_id: ns
    invitation: x
"""
    )
    message = error_of(write(tmp_path, steps))
    assert "uses steps devnet run does not support" in message
    assert "invite at line 12 (step 2: invites into a namespace (namespace_id/group_id)" in message
    assert "join at line 15 (step 3: joins a namespace" in message


def test_an_invitation_without_its_grantee_names_the_field(tmp_path: Path) -> None:
    steps = INSTALL + "  - type: invite_identity\n    node: n-1\n    context_id: c\n"
    steps += "    granter_id: g\n"
    assert error_of(write(tmp_path, steps)).endswith("'grantee_id' is required")
