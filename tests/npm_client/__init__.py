"""Upstream's JavaScript client, installed for the test that drives a node with it."""
