"""Provides the UI's entry points: own a cluster (``devnet up``) or attach to one (``devnet tui``).

Owning: the cluster runs in the app's event loop (``open_cluster`` in a worker, with the
app's model as its progress callback, so start-up shows as it happens); quitting stops it,
as do SIGTERM (``devnet down``) and SIGINT from outside. Attaching: the app follows the
manager's event stream and drives it through the control endpoint; quitting leaves it up.
"""

from __future__ import annotations

import asyncio
import shlex
import signal
import sys
from pathlib import Path

from calimero_devnet.cluster.handle import Cluster
from calimero_devnet.config.model import DevnetConfig
from calimero_devnet.errors import DevnetError
from calimero_devnet.exits import exit_code_for
from calimero_devnet.tui.app import DevnetApp
from calimero_devnet.tui.source import LocalSource, RemoteSource


def owner_app(config: DevnetConfig, *, watch: bool = True) -> DevnetApp:
    """The app that runs ``config``'s cluster for as long as it runs."""
    names = [node.name for node in config.nodes]

    async def own(app: DevnetApp) -> None:
        from calimero_devnet.cluster.manager import open_cluster  # noqa: PLC0415

        def adopt(cluster: Cluster) -> None:
            app.adopt(LocalSource(cluster))
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, app.stop_cluster)

        try:
            async with open_cluster(config, app.on_cluster_event, watch=watch,
                                    on_handle=adopt) as cluster:  # fmt: skip
                assert app.source is not None
                await app.prime(app.source)
                await cluster.wait_closed()
                failed = sorted({failure.name for failure in cluster.failures})
        except DevnetError as exc:
            code = exit_code_for(exc)
            app.exit(code, return_code=code, message=f"devnet: error: {exc}")
            return
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                asyncio.get_running_loop().remove_signal_handler(sig)
        message = f"devnet: {', '.join(failed)} died during the run (see its log)" if failed else ""
        app.exit(1 if failed else 0, return_code=1 if failed else 0, message=message or None)

    return DevnetApp(config.cluster.name, names, starter=own)


def run_owner(config: DevnetConfig, *, watch: bool = True) -> int:
    """``devnet up`` in a terminal: the UI, owning the cluster; its exit status."""
    app = owner_app(config, watch=watch)
    app.run()
    return app.return_code or 0


def attached_app(data_dir: Path) -> DevnetApp:
    """The app following the cluster that runs in ``data_dir``.

    Raises:
        ClusterError: no cluster runs there.
    """
    from calimero_devnet.cluster.remote import RemoteCluster  # noqa: PLC0415

    source = RemoteSource(RemoteCluster.attach(data_dir))
    return DevnetApp(source.cluster_id, source.node_names(), source=source)


def run_attached(data_dir: Path) -> int:
    """``devnet tui``: the UI over a cluster another process runs; its exit status."""
    app = attached_app(data_dir)
    app.run()
    return app.return_code or 0


WEB_HOST = "127.0.0.1"


def web_command(data_dir: Path) -> str:
    """The command each browser session of ``devnet tui --web`` runs."""
    argv = [sys.executable, "-m", "calimero_devnet.cli", "tui", "--data-dir", str(data_dir)]
    # textual-serve runs it through `sh -c`: exec, so the UI is the server's own child and
    # sees the server die (it then exits, see DevnetApp._exit_if_orphaned).
    return "exec " + shlex.join(argv)


def serve_web(data_dir: Path, port: int) -> int:
    """``devnet tui --web PORT``: the attached UI in a browser, on loopback only."""
    from calimero_devnet.tui.web import LoopbackServer  # noqa: PLC0415  (only for --web)

    print(f"devnet: serving the UI on http://{WEB_HOST}:{port} (Ctrl-C stops)", flush=True)
    LoopbackServer(web_command(data_dir), host=WEB_HOST, port=port, title="devnet").serve()
    return 0
