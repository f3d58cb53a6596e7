"""Provides the host node: its state, runtime, replication, bus and HTTP API (one process each)."""
