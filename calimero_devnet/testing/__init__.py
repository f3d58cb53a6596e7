"""Provides fakes shipped for tests: in-memory stores, fake clocks, fake runtimes."""
