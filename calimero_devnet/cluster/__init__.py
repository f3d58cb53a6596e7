"""Provides the cluster manager: its library face (open_cluster, Cluster, events, status)."""
