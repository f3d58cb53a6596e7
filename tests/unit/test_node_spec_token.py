"""A node's token travels in its environment: never on the command line, never inherited."""

from __future__ import annotations

from pathlib import Path

import pytest

from calimero_devnet.cluster.processes.node_process import NodeSpec, child_env

TOKEN = "a-spec-token-0123456789"


def test_the_token_is_in_the_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = NodeSpec("node-1", Path("/tmp/devnet-test/node-1"), token=TOKEN)
    assert TOKEN not in " ".join(spec.argv(0)) + repr(spec)
    assert child_env(spec.token)["DEVNET_TOKEN"] == TOKEN
    monkeypatch.setenv("DEVNET_TOKEN", "the-manager-s-own-token-0123")
    assert "DEVNET_TOKEN" not in child_env(None)  # an open cluster's nodes want none
