"""Provides ``python -m calimero_devnet.toolchain [APP_DIR]`` (the same as ``devnet build``)."""

import sys

from calimero_devnet.toolchain.cli import main

sys.exit(main())
