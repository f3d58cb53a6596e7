"""Provides one node's own state: NodeCore, RocksDB store, calls, commits, deltas, clock."""
