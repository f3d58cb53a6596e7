"""Provides the TypeScript -> QuickJS-in-WASM toolchain behind `devnet build`."""

from calimero_devnet.toolchain.build import BuildResult, build_app
from calimero_devnet.toolchain.diagnostics import Diagnostic
from calimero_devnet.toolchain.ensure import Toolchain, ensure_toolchain

__all__ = ["BuildResult", "Diagnostic", "Toolchain", "build_app", "ensure_toolchain"]
