"""Provides the manager's control plane: its loopback endpoint and the network rules it sets."""
