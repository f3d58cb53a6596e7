"""Provides the node's HTTP surface: JSON-RPC ``execute``, the admin API and ``/ws`` events.

Every core call runs on one worker thread (``CoreWorker``); handlers stay on the event loop.
"""

from calimero_devnet.node.rpc.events import EventHub
from calimero_devnet.node.rpc.server import RpcServer, build_app
from calimero_devnet.node.rpc.worker import Core, CoreWorker

__all__ = ["Core", "CoreWorker", "EventHub", "RpcServer", "build_app"]
