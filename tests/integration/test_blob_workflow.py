"""Blobs across real node processes and a real broker, through ``devnet run``: a multi-chunk
upload fetched by the other node, and the TypeScript blob app (built by the real toolchain)
writing on one node and reading on the other."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]
REPO = Path(__file__).resolve().parents[2]
TEXT = "hello blobs"

WORKFLOW = f"""\
name: blobs across processes
nodes:
  count: 2
  prefix: node
steps:
  - type: install_application
    node: node-1
    path: ./blobs
    outputs:
      app_id: applicationId
  - type: create_context
    node: node-1
    application_id: '{{{{app_id}}}}'
    outputs:
      ctx: contextId
  - type: join_context
    node: node-2
    context_id: '{{{{ctx}}}}'
  - type: upload_blob
    node: node-1
    file_path: ./big.bin
    context_id: '{{{{ctx}}}}'
    outputs:
      big: blob_id
  - type: download_blob
    node: node-2
    blob_id: '{{{{big}}}}'
    context_id: '{{{{ctx}}}}'
    expected_size: {2 * 1024 * 1024 + 17}
    output_path: ./copy.bin
  - type: call
    node: node-1
    context_id: '{{{{ctx}}}}'
    method: store
    args:
      text: {TEXT}
    outputs:
      blob_hex: result.output
  - type: call
    node: node-2
    context_id: '{{{{ctx}}}}'
    method: read
    args:
      blobIdHex: '{{{{blob_hex}}}}'
    outputs:
      read_back: result.output
  - type: assert
    statements:
      - "{{{{read_back}}}} == '{TEXT.encode().hex()}'"
"""


def test_blobs_cross_real_node_processes(tmp_path: Path) -> None:
    shutil.copytree(REPO / "tests" / "fixtures" / "apps" / "blobs", tmp_path / "blobs")
    big = bytes(i % 253 for i in range(2 * 1024 * 1024 + 17))  # three chunks
    (tmp_path / "big.bin").write_bytes(big)
    (tmp_path / "blobs.yml").write_text(WORKFLOW)
    argv = [sys.executable, "-m", "calimero_devnet.cli", "run", "blobs.yml",
            "--data-dir", str(tmp_path / "cluster")]  # fmt: skip
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=140,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 of 1 workflow(s) passed" in done.stdout
    assert (tmp_path / "copy.bin").read_bytes() == big
