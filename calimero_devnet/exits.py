"""Provides the exit codes of ``devnet`` and its node: one per kind of ``DevnetError``.

Both entry points (``cli.py`` and ``node/__main__.py``) run their command through
``guarded``, so an error is one line on stderr and a code a script can test.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn

from calimero_devnet.errors import (
    ClusterError,
    ConfigError,
    DevnetError,
    NodeError,
    StoreError,
    ToolchainError,
)

# First match wins; 2 matches argparse's own usage errors.
EXIT_CODES: tuple[tuple[type[DevnetError], int], ...] = (
    (ConfigError, 2),
    (ToolchainError, 3),
    (ClusterError, 4),
    (StoreError, 5),
    (NodeError, 6),
)
INTERRUPTED = 130
BROKEN_PIPE = 128 + 13  # as if killed by SIGPIPE, what the shell expects of `cmd | head`


def exit_code_for(exc: DevnetError) -> int:
    """The process exit code of an error (1 for a ``DevnetError`` of no listed kind)."""
    return next((code for kind, code in EXIT_CODES if isinstance(exc, kind)), 1)


def guarded(run: Callable[[], int]) -> int:
    """Run a command; turn a ``DevnetError`` into one line on stderr and its exit code."""
    try:
        code = run()
        sys.stdout.flush()  # a closed pipe must fail here, not in the interpreter's exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE
    except DevnetError as exc:
        logging.getLogger("calimero_devnet").debug("command failed", exc_info=True)
        print(f"devnet: error: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        print("devnet: interrupted", file=sys.stderr)
        return INTERRUPTED


def _silence_stdout() -> None:
    """Point stdout at /dev/null: the reader (``| head``) is gone, and Python would otherwise
    print a BrokenPipeError traceback when it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def exit_now(code: int) -> NoReturn:
    """End a child process (a node, the embedded broker) without the interpreter's teardown.

    Their entry points call it once the process has finished its work for good: a node has
    stopped serving, flushed its bus and closed its store; the broker keeps nothing. The
    interpreter would still free every module and object one by one, 0.5 s or more, most
    of the time a node takes to stop. The logs and the standard streams are flushed first.
    """
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
