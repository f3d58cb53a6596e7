"""Provides the manager's processes: node processes, the broker, the data dir, cluster.json."""
