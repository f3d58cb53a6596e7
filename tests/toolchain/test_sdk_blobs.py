"""A TypeScript app using ``env.blob*`` (upstream's names), built and type-checked by the real
toolchain, on two real nodes: one writes and announces a blob, the other reads it (fetching
it over the bus first)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from calimero_devnet.toolchain import build_app
from calimero_devnet.toolchain.typecheck import typecheck_app
from tests.node.test_replication_rpc import admin, execute, http_nodes, install
from tests.toolchain.sdk_helpers import APPS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

TEXT = "a blob written by a TypeScript app, read back seven bytes at a time"


@pytest.fixture(scope="module")
def blobs_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    app = tmp_path_factory.mktemp("apps") / "blobs"
    shutil.copytree(APPS / "blobs", app)
    assert typecheck_app(app) == []
    return build_app(app).wasm_path


async def test_a_blob_written_on_one_node_is_read_by_the_app_on_another(
    tmp_path: Path, blobs_wasm: Path
) -> None:
    async with http_nodes(tmp_path, 2) as (_, (a, b)):
        app = await install(a, blobs_wasm)
        ctx = str((await admin(a, "POST", "contexts", {"applicationId": app}))["contextId"])
        await install(b, blobs_wasm)
        await admin(b, "POST", f"contexts/{ctx}/join")

        blob_hex = await execute(a, ctx, "store", {"text": TEXT})
        chunk_id = hashlib.sha256(TEXT.encode()).digest()
        assert blob_hex == hashlib.sha256(chunk_id).hexdigest()  # upstream's blob id

        assert await execute(b, ctx, "read", {"blobIdHex": blob_hex}) == TEXT.encode().hex()
        assert await execute(a, ctx, "announceElsewhere", {"blobIdHex": blob_hex}) is False
        missing = await execute(b, ctx, "read", {"blobIdHex": "00" * 32})
        assert missing == ""
