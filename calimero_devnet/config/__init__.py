"""Provides ``devnet.toml`` → ``DevnetConfig``: schema, strict check, resolution, typed values."""
