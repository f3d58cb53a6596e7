"""Provides deployment: build the apps, install them on every node, create and join contexts.

Every step is idempotent, so a cluster restarted on kept data ends where a fresh one does:
installing the same bytes returns the same id; a context's id follows from its seed, so
the creator is asked first whether it has it; joining a context a node has is a no-op;
a context still on an older build is switched to the new one, keeping its state.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calimero_devnet.cluster.events import BuildFinished
from calimero_devnet.cluster.nodeclient import AdminError, NodeClient
from calimero_devnet.config.model import AppSettings, ContextSettings
from calimero_devnet.errors import ClusterError, InvalidModule, ToolchainError
from calimero_devnet.ids import sha256, to_b58

if TYPE_CHECKING:
    from calimero_devnet.toolchain.diagnostics import Diagnostic

Say = Callable[[str], None]
log = logging.getLogger(__name__)


def context_id(seed: str) -> str:
    """The id every node derives from a context seed (``rpc.md`` ``contextSeed``)."""
    # Imported here: the node's admin module loads its whole server (aiohttp, wasmtime:
    # ~1 s), which a cluster whose contexts come from its steps (``devnet run``) never needs.
    from calimero_devnet.node.rpc.admin import seed_bytes  # noqa: PLC0415
    from calimero_devnet.node.state.identity import public_key_from_seed  # noqa: PLC0415

    raw = seed_bytes(seed)
    assert raw is not None  # a seed string is never None
    return to_b58(public_key_from_seed(sha256(raw)))


async def build(app: AppSettings, out_root: Path, say: Say) -> tuple[Path, BuildFinished]:
    """Build a TypeScript app into ``out_root/<app>/`` (a ``.wasm`` app is used as it is).

    ``say`` receives the toolchain's one-time set-up lines, on the event loop.

    Raises:
        ToolchainError: the build failed (the message carries the compiler's diagnostics).
    """
    started = time.perf_counter()
    if app.kind == "wasm":
        if not app.path.is_file():
            raise ToolchainError(f"app {app.name}: {app.path} does not exist: build it first")
        return app.path, BuildFinished(app.name, time.perf_counter() - started)
    from calimero_devnet.toolchain import build_app  # noqa: PLC0415  (heavy, only when building)

    loop = asyncio.get_running_loop()

    def progress(line: str) -> None:  # called on the build thread
        loop.call_soon_threadsafe(say, line)

    result = await asyncio.to_thread(
        build_app, app.path, out_dir=out_root / app.name, snapshot=app.snapshot,
        progress=progress,
    )  # fmt: skip
    return result.wasm_path, BuildFinished(app.name, time.perf_counter() - started)


async def typecheck(app: AppSettings, out_root: Path) -> list[Diagnostic]:
    """Type-check a TypeScript app like ``devnet build`` does; its errors (none for a ``.wasm``).

    Raises:
        ToolchainError: the app has no entry point, or the toolchain cannot be set up.
    """
    if app.kind == "wasm":
        return []
    from calimero_devnet.toolchain.typecheck import typecheck_app  # noqa: PLC0415  (heavy)

    return await asyncio.to_thread(typecheck_app, app.path, out_dir=out_root / app.name)


def type_error_report(diags: Sequence[Diagnostic], *, deployed: bool) -> str:
    """The type errors as ``file:line:col: error: message`` blocks, then what happens next.

    The first line is the first error, so a one-line view (the TUI's build bar) shows it.
    """
    from calimero_devnet.toolchain.diagnostics import format_all  # noqa: PLC0415

    if deployed:
        after = "deployed anyway ([build] deploy_on_type_errors = true in devnet.toml)"
    else:
        after = (
            "not deployed: the running version stays. Fix the errors and save, or set "
            "[build] deploy_on_type_errors = true in devnet.toml to deploy anyway"
        )
    return f"{format_all(list(diags))}\n{len(diags)} type error(s): {after}"


async def precompile(wasm: bytes, cache_dir: Path) -> None:
    """Compile a build once into the module cache the nodes share (they then load it in ~1 ms).

    Raises:
        ToolchainError: wasmtime rejects the module.
    """
    from calimero_devnet.node.runtime import precompile as compile_into  # noqa: PLC0415  (wasmtime)

    try:
        await asyncio.to_thread(compile_into, wasm, cache_dir)
    except InvalidModule as exc:
        raise ToolchainError(str(exc)) from exc


def read_manifest(wasm: Path) -> dict[str, Any] | None:
    """The ABI manifest ``wasm`` carries (None: it has none, or it cannot be read).

    Our toolchain embeds the manifest in every module it links (the ``calimero_abi_v1``
    section; ``<name>.abi.json`` next to the build output is the same JSON), so reading it
    from the module itself gives the manifest of exactly the version kept and installed,
    also for a ``.wasm`` app built with ``devnet build``, and stays true when a later build
    rewrites the output folder.
    """
    from calimero_devnet.node.runtime.loader import ABI_SECTION, custom_sections  # noqa: PLC0415

    try:
        section = custom_sections(wasm.read_bytes()).get(ABI_SECTION)
        manifest = None if section is None else json.loads(section)
    except (OSError, ValueError, InvalidModule) as exc:
        log.warning("cannot read the ABI manifest of %s: %s", wasm, exc)
        return None
    return manifest if isinstance(manifest, dict) else None


async def install(clients: Sequence[NodeClient], wasm: Path) -> str:
    """Install ``wasm`` on every node concurrently; return its application id.

    Raises:
        ClusterError: a node refused it (``InvalidModule``, unreadable file, ...).
    """
    path = str(wasm)  # absolute: config paths are, and so are the build outputs
    ids = await asyncio.gather(*(client.install(path) for client in clients))
    if len(set(ids)) > 1:
        raise ClusterError(f"nodes disagree on the id of {wasm}: {sorted(set(ids))}")
    return ids[0]


async def ensure_context(
    context: ContextSettings, app_id: str, clients: Mapping[str, NodeClient], say: Say
) -> str:
    """Create ``context`` on its first member unless it exists, then have the others join.

    Returns:
        The context id.
    """
    cid = context_id(context.seed)
    creator = clients[context.members[0]]
    record = await creator.context(cid)
    if record is None:
        await creator.create_context(app_id, context.init, context.seed)
        say(f"context {context.name} ({cid[:8]}) created on {creator.name}")
    else:
        await _switch_if_old(creator, cid, record, app_id, say)
    joiners = [clients[name] for name in context.members[1:]]
    await asyncio.gather(
        *(join_or_switch(client, context.name, cid, app_id, say) for client in joiners)
    )
    return cid


async def join_or_switch(client: NodeClient, name: str, cid: str, app_id: str, say: Say) -> None:
    """Have ``client`` join context ``cid`` (``name``), or switch it to ``app_id`` if it has it."""
    record = await client.context(cid)
    if record is None:
        started = time.perf_counter()
        await client.join(cid)
        say(f"{client.name} joined {name} in {time.perf_counter() - started:.2f} s")
    else:
        await _switch_if_old(client, cid, record, app_id, say)


async def _switch_if_old(
    client: NodeClient, cid: str, record: Mapping[str, object], app_id: str, say: Say
) -> None:
    if record.get("applicationId") == app_id:
        return
    try:
        await client.set_application(cid, app_id)
    except AdminError as exc:
        if not exc.state_refused:
            raise
        say(f"{exc}\n  the previous build keeps serving context {cid[:8]}: change the code "
            "back, or `devnet reset CONTEXT` starts it afresh on the new build")  # fmt: skip
        return
    say(f"{client.name}: context {cid[:8]} switched to the new build {app_id[:8]}")


@dataclass(frozen=True, slots=True)
class SwitchFailure:
    """A node that did not switch ``context`` to the new build, and why."""

    node: str
    context: str
    error: ClusterError

    @property
    def state_refused(self) -> bool:
        """True when the new build cannot read the context's state (the old one stays)."""
        return isinstance(self.error, AdminError) and self.error.state_refused

    @property
    def reason(self) -> str:
        """The node's own words (without our "node: request:" prefix)."""
        return self.error.detail if isinstance(self.error, AdminError) else str(self.error)


async def switch_everywhere(
    targets: Sequence[tuple[NodeClient, Sequence[str]]],
    app_id: str,
    switched: Callable[[str], None] = lambda node: None,
) -> tuple[list[str], list[SwitchFailure]]:
    """Switch each node's listed contexts to ``app_id``: (nodes switched, failures);
    ``switched(node)`` as each node is done."""

    async def switch(client: NodeClient, context_ids: Sequence[str]) -> SwitchFailure | None:
        for cid in context_ids:
            try:
                await client.set_application(cid, app_id)
            except ClusterError as exc:
                return SwitchFailure(client.name, cid, exc)
        switched(client.name)
        return None

    outcomes = await asyncio.gather(*(switch(client, cids) for client, cids in targets))
    done = [c.name for (c, _), failure in zip(targets, outcomes, strict=True) if failure is None]
    return done, [failure for failure in outcomes if failure is not None]
