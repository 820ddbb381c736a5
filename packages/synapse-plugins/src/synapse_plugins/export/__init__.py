"""Export plugins: the built-in ``export`` action, ``BaseExporter`` and its hooks, targets and output files.

A plugin's ``config.yaml`` names a ``BaseExporter`` subclass as the ``export`` action's entrypoint; the action fetches
the items of a target (``assignment``, ``ground_truth``, ``task`` or a local DM folder), opens the storage and runs
the exporter. See the guide, *Export plugins*.

Example:
    >>> from synapse_plugins.export import BaseExporter
    >>> BaseExporter.json_dir, BaseExporter.originals_dir
    ('json', 'origin_files')
"""

from __future__ import annotations

from .exporter import ERROR_LIST_FILE, BaseExporter, ExportStatus

__all__ = ["ERROR_LIST_FILE", "BaseExporter", "ExportStatus"]
