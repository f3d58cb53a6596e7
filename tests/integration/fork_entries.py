"""Entries the fork-server tests ask a child to run instead of a node (``test_forkserver``)."""

from __future__ import annotations

import json
import os
import sys
import time


def report(argv: list[str]) -> int:
    """Print what the child was given on one stdout line, a line on stderr; exit ``argv[0]``."""
    seen = {
        "argv": argv,
        "env": os.environ.get("FORK_TEST"),
        "server_env": os.environ.get("SERVER_ONLY"),
        "own_session": os.getsid(0) == os.getpid(),
        "fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
        "stdin": sys.stdin.read(),
    }
    print(json.dumps(seen), flush=True)
    print("said on stderr", file=sys.stderr, flush=True)
    return int(argv[0])


def hang(argv: list[str]) -> int:
    """Say "up", then wait to be signalled."""
    print("up", flush=True)
    time.sleep(600)
    return 0
