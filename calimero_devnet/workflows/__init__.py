"""Provides merobox workflow files run on local nodes (``devnet run``; docs/workflows.md).

Pure parts: ``source`` (YAML with line numbers), ``catalogue`` (the step types and their
fields), ``parse`` (the strict parser), ``placeholders``, ``outputs``, ``assertions``.
The part with I/O: ``runner`` and ``actions`` drive a ``cluster.handle.Cluster``;
``report`` prints the ✓/✗ lines and writes JUnit XML.
"""
