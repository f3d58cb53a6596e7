"""Provides the node's WASM runtime: load apps, run calls, extend the host ABI.

Typical use::

    runtime = Runtime(cache_dir)
    app = runtime.load(wasm_bytes)                     # InvalidModule if unusable
    outcome = runtime.call(app, "set", b'{"key":"a","value":"1"}', env)
    if outcome.committed:
        persist(outcome.writes, outcome.root_hash, outcome.artifact)

``call`` raises ``MethodNotFound`` or a ``FunctionCallError`` (``GuestError``, with the
call's logs); the app's own ``Err`` comes back as ``outcome.app_error``. More host
functions plug in as :class:`HostImport` objects (see :mod:`.hostimport`).
"""

from calimero_devnet.node.runtime.callstate import CallState
from calimero_devnet.node.runtime.failures import GuestError
from calimero_devnet.node.runtime.hostimport import HostImport, HostTrap, host_import
from calimero_devnet.node.runtime.loader import LoadedApp
from calimero_devnet.node.runtime.runtime import STANDARD_IMPORTS, Runtime, precompile
from calimero_devnet.node.runtime.types import (
    CallEnv,
    CallOutcome,
    Event,
    Limits,
    PrivateStorage,
    StateReader,
    XCall,
)

__all__ = [
    "STANDARD_IMPORTS",
    "CallEnv",
    "CallOutcome",
    "CallState",
    "Event",
    "GuestError",
    "HostImport",
    "HostTrap",
    "Limits",
    "LoadedApp",
    "PrivateStorage",
    "Runtime",
    "StateReader",
    "XCall",
    "host_import",
    "precompile",
]
