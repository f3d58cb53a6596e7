"""Provides the ``devnet`` verbs of the cluster: one thin layer over the cluster library."""
