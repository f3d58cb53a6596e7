"""Provides the replication shell of a node: the sync core's effects, in its event loop."""
