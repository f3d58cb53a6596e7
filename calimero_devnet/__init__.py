"""calimero-devnet: a local devnet manager for Calimero-style peer-to-peer apps."""

__version__ = "0.1.0"
