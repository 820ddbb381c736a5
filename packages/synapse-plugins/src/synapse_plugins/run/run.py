"""``Run``: what an action calls to log messages and events, report progress and metrics.

One ``Run`` per action run, with only instance state (two runs in one process share nothing). It turns calls into
records and hands them to its [logger][synapse_plugins.run.loggers.RunLogger]; it never sets the job's status (the
runner does) and a logger that fails never fails the action.

Example:
    >>> from synapse_plugins.run import MetricsRecord, Run
    >>> from synapse_plugins.run.loggers import MemoryLogger
    >>> logger = MemoryLogger()
    >>> run = Run(logger, progress_categories={"dataset_conversion": 100})
    >>> run.log_message("Starting export")
    >>> run.set_progress(0, 0, "dataset_conversion")  # an empty export is done, not a crash
    >>> run.log_metrics(MetricsRecord(stand_by=0, success=0, failed=0), "data_file")
    >>> run.end_log()
    >>> logger.messages
    ['Starting export', 'Plugin run is complete.']
    >>> logger.progress[-1]["current_progress"]["overall"]
    100.0
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import records as _records
from .loggers.base import NullLogger, RunLogger
from .progress import ProgressTracker
from .records import LogContext, LogEntry, MetricsRecord, metrics_record, progress_record

__all__ = ["Run"]

_log = logging.getLogger("synapse_plugins.run")


class Run:
    """The handle an action uses to report what it does (``self.run`` inside an action).

    Args:
        logger: Where events go (default: nowhere).
        job_id: The platform job this run belongs to, if any; added to every log entry.
        action: The action's name (used in ``dev_event`` entries).
        progress_categories: ``{name: proportion}`` (or ``{name: {"proportion": n}}``) for weighted progress;
            None for one unnamed category.
        metrics_categories: Names ``set_metrics`` accepts; None accepts any non-empty name.
        clock: Monotonic clock in seconds (tests pass a fake one).

    Example:
        >>> run = Run()
        >>> run.set_progress(3, 4)
        >>> run.progress.overall
        75.0
    """

    #: ``run.MetricsRecord(stand_by=..., success=..., failed=...)`` as the Synapse docs write it.
    MetricsRecord = MetricsRecord

    def __init__(
        self,
        logger: RunLogger | None = None,
        *,
        job_id: str | int | None = None,
        action: str = "",
        progress_categories: Mapping[str, Any] | None = None,
        metrics_categories: Sequence[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger: RunLogger = logger if logger is not None else NullLogger()
        self.job_id = None if job_id is None else str(job_id)
        self.action = action
        self.progress = ProgressTracker(progress_categories)
        self.metrics_categories = None if metrics_categories is None else list(metrics_categories)
        self._metrics: dict[str, dict[str, Any]] = {}
        self._clock = clock
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Run(job_id={self.job_id!r}, action={self.action!r})"

    # -- events ---------------------------------------------------------------------------------------------------

    def _send(self, method: str, *args: Any) -> None:
        try:
            getattr(self.logger, method)(*args)
        except Exception:  # a logger must never fail the action
            _log.exception("run logger failed in %s", method)

    def log(self, event: str, data: Any, file: str | os.PathLike[str] | None = None) -> None:
        """Record one event (the platform keeps it in the job's log).

        Args:
            event: The event's kind, e.g. ``export_data_file``.
            data: A JSON-serializable payload.
            file: A local file to attach (the backend logger sends it inline).

        Example:
            >>> from synapse_plugins.run.loggers import MemoryLogger
            >>> logger = MemoryLogger()
            >>> Run(logger, job_id=7).log("metric", {"loss": 0.25})
            >>> logger.entries[0].job, logger.entries[0].data
            ('7', {'loss': 0.25})
        """
        if not isinstance(event, str) or not event:
            raise ValueError(f"log: event must be a non-empty string, got {event!r}")
        entry = LogEntry(event, data, job=self.job_id, file=None if file is None else os.fspath(file))
        self._send("log", entry)

    def log_message(self, message: str, context: str | LogContext = LogContext.INFO) -> None:
        """Log a message the platform shows in the job's log.

        Args:
            message: The text.
            context: ``info`` (default), ``success``, ``warning`` or ``danger``, any case.

        Raises:
            ValueError: For another context.

        Example:
            >>> from synapse_plugins.run.loggers import MemoryLogger
            >>> logger = MemoryLogger()
            >>> Run(logger).log_message("3 files skipped", context="warning")
            >>> logger.entries[0].data
            {'context': 'warning', 'content': '3 files skipped'}
        """
        entry = LogEntry.message(str(message), context=context, job=self.job_id)
        self._send("log", entry)

    def log_dev_event(self, message: str, data: Any = None, level: str | LogContext = LogContext.INFO) -> None:
        """Log a developer event (``dev_event``): details for plugin authors, not for end users.

        Args:
            message: What happened.
            data: Extra JSON-serializable data.
            level: ``info``, ``success``, ``warning`` or ``danger``.

        Example:
            >>> from synapse_plugins.run.loggers import MemoryLogger
            >>> logger = MemoryLogger()
            >>> Run(logger, action="export").log_dev_event("cache hit", {"key": "a"})
            >>> logger.entries[0].data["event_type"]
            'export_dev_log'
        """
        payload = {
            "event_type": f"{self.action or 'action'}_dev_log",
            "message": str(message),
            "data": data,
            "level": LogContext.parse(level).value,
            "created": time.time(),
        }
        self.log("dev_event", payload)

    def end_log(self) -> None:
        """Log the closing message (``Plugin run is complete.``).

        Example:
            >>> from synapse_plugins.run.loggers import MemoryLogger
            >>> logger = MemoryLogger()
            >>> Run(logger).end_log()
            >>> logger.messages
            ['Plugin run is complete.']
        """
        self.log_message("Plugin run is complete.")

    # -- progress -------------------------------------------------------------------------------------------------

    def set_progress(self, current: int, total: int, category: str | None = None) -> None:
        """Report that ``current`` of ``total`` items of a progress category are done.

        Percent never goes backwards; ``total == 0`` marks an empty category done; the first call need not be
        ``current == 0``. Loggers receive the whole record each time and may coalesce (the backend logger sends at
        most about one update a second).

        Args:
            current: Items done (clamped to ``0..total``).
            total: Items in all (>= 0).
            category: The progress category; may be omitted when the action declares one or none.

        Raises:
            ValueError: For a negative total, non-integer counts, or an undeclared category.

        Example:
            >>> run = Run(progress_categories={"download": 1, "convert": 1})
            >>> run.set_progress(10, 10, "download")
            >>> run.set_progress(1, 4, "convert")
            >>> run.progress.overall
            62.5
        """
        with self._lock:
            self.progress.update(category, current, total, now=self._clock())
            record = progress_record(self.progress)
        self._send("set_progress", record)

    def set_progress_failed(self, category: str | None = None) -> None:
        """Mark a progress category failed (default: the last one reported).

        Args:
            category: The category.

        Example:
            >>> run = Run()
            >>> run.set_progress(1, 2)
            >>> run.set_progress_failed()
            >>> run.progress.snapshot().failed
            True
        """
        with self._lock:
            self.progress.fail(category)
            record = progress_record(self.progress)
        self._send("set_progress", record)

    # -- metrics --------------------------------------------------------------------------------------------------

    def set_metrics(self, value: Mapping[str, Any], category: str) -> None:
        """Merge values into one metrics category (``metrics_record`` on the job).

        Args:
            value: JSON-serializable values to merge.
            category: The metrics category (e.g. ``data_file``).

        Raises:
            ValueError: If ``value`` is not a mapping, ``category`` is empty, or not one of the declared ones.

        Example:
            >>> run = Run()
            >>> run.set_metrics({"loss": 0.5}, "train")
            >>> run.set_metrics({"epoch": 2}, "train")
            >>> run.metrics
            {'train': {'loss': 0.5, 'epoch': 2}}
        """
        if not isinstance(value, Mapping):
            raise ValueError(f"set_metrics: value must be a mapping, got {type(value).__name__}")
        if not isinstance(category, str) or not category:
            raise ValueError("set_metrics: category must be a non-empty string")
        if self.metrics_categories is not None and category not in self.metrics_categories:
            raise ValueError(f"unknown metrics category {category!r}: one of {', '.join(self.metrics_categories)}")
        with self._lock:
            self._metrics.setdefault(category, {}).update(value)
            record = metrics_record(self._metrics)
        self._send("set_metrics", record)

    def log_metrics(self, record: _records.MetricsRecord | Mapping[str, Any], category: str) -> None:
        """Set a category's item counts (``stand_by``, ``success``, ``failed``).

        Args:
            record: A [`MetricsRecord`][synapse_plugins.run.records.MetricsRecord] or a mapping of counts.
            category: The metrics category (``data_file``, ``original_file``...).

        Example:
            >>> run = Run()
            >>> run.log_metrics(Run.MetricsRecord(stand_by=1, success=2, failed=0), "data_file")
            >>> run.metrics["data_file"]
            {'stand_by': 1, 'success': 2, 'failed': 0}
        """
        values = record.as_dict() if isinstance(record, MetricsRecord) else dict(record)
        self.set_metrics(values, category)

    @property
    def metrics(self) -> dict[str, dict[str, Any]]:
        """A copy of the metrics so far, by category.

        Example:
            >>> Run().metrics
            {}
        """
        with self._lock:
            return {name: dict(values) for name, values in self._metrics.items()}
