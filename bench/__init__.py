"""Benchmark scripts; figures go to docs/performance.md."""
