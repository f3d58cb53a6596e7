"""Provides cluster snapshots: save every node's store, put them all back, move them as one file.

``manifest.py`` (what a snapshot holds, and whether it fits a cluster; pure), ``folder.py``
(``<data_dir>/snapshots/<name>/`` on disk: list, remove, checksums, stores back into the
node homes), ``archive.py`` (export to one tar file, import with every checksum checked),
``take.py`` (a running cluster's save and restore, driven by ``Cluster``).
"""
