"""Provides the node's content-addressed blob store and its replication over the bus."""
