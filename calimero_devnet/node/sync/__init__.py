"""Provides the pure replication core: the causal DAG, the sync reducers, membership. No I/O."""
