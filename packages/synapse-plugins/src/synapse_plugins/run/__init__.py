"""A run of an action: [`Run`][synapse_plugins.run.Run], its records and its loggers.

Example:
    >>> from synapse_plugins.run import Run
    >>> Run().progress.overall
    0.0
"""

from __future__ import annotations

from .progress import CategoryProgress, ProgressTracker, normalize_categories
from .records import LogContext, LogEntry, MetricsRecord, metrics_record, progress_record
from .run import Run

__all__ = [
    "CategoryProgress",
    "LogContext",
    "LogEntry",
    "MetricsRecord",
    "ProgressTracker",
    "Run",
    "metrics_record",
    "normalize_categories",
    "progress_record",
]
