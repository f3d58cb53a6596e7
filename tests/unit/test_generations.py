"""Context generations: the seeds and ids of resets, and the file that remembers them."""

from __future__ import annotations

from pathlib import Path

import pytest

from calimero_devnet.cluster.deploy.generations import (
    GENERATIONS_FILE,
    at_generation,
    earlier_ids,
    load_generations,
    save_generations,
    seed_of,
)
from calimero_devnet.cluster.deploy.install import context_id
from calimero_devnet.config.model import ContextSettings
from calimero_devnet.errors import ClusterError

CONTEXT = ContextSettings("kv", "kv-store", {}, ("node-1", "node-2"), "devnet/kv")


def test_generation_zero_is_the_configured_context_and_later_ones_differ() -> None:
    assert at_generation(CONTEXT, 0) == CONTEXT
    assert seed_of("s", 2) == "s#reset-2"
    ids = [context_id(at_generation(CONTEXT, n).seed) for n in range(3)]
    assert len(set(ids)) == 3
    assert earlier_ids(CONTEXT, 2) == ids[:2]
    assert earlier_ids(CONTEXT, 0) == []


def test_generations_survive_a_restart_and_a_missing_file_means_none(tmp_path: Path) -> None:
    assert load_generations(tmp_path) == {}
    save_generations(tmp_path, {"kv": 2})
    assert load_generations(tmp_path) == {"kv": 2}


@pytest.mark.parametrize("text", ["not json", '{"kv": -1}', '["kv"]', '{"kv": "2"}'])
def test_a_damaged_generations_file_is_named(tmp_path: Path, text: str) -> None:
    (tmp_path / GENERATIONS_FILE).write_text(text)
    with pytest.raises(ClusterError, match=GENERATIONS_FILE):
        load_generations(tmp_path)
