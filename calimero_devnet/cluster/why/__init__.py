"""Provides ``devnet why``'s report: why a context has not converged (``report``), the facts
it is built from (``facts``), and reading them from the running nodes (``collect``)."""
