"""Provides the cluster manager: brokers, node processes, deployment and network control."""
