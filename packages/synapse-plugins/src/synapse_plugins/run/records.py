"""The wire format of a run: log entries, progress and metrics records, as the platform's backend stores them.

``POST logs/`` takes a list of ``{event, data, datetime, job, file?}`` (each entry here also carries an
``event_id``, so a server can drop a resent entry); ``PATCH jobs/{id}/`` takes ``progress_record`` and
``metrics_record``. Message levels are the platform's four (``info``, ``success``, ``warning``, ``danger``).

Example:
    >>> entry = LogEntry.message("Export started", context="info", job="12")
    >>> wire = entry.to_wire()
    >>> wire["event"], wire["data"], wire["job"]
    ('message', {'context': 'info', 'content': 'Export started'}, '12')
    >>> MetricsRecord(stand_by=3).as_dict()
    {'stand_by': 3, 'success': 0, 'failed': 0}
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from .progress import ProgressTracker

__all__ = ["LogContext", "LogEntry", "MetricsRecord", "metrics_record", "progress_record"]


class LogContext(str, Enum):
    """How a message is shown on the platform (its colour); ``run.log_message(msg, context=...)``.

    Example:
        >>> LogContext.parse("WARNING")
        <LogContext.WARNING: 'warning'>
    """

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    DANGER = "danger"

    @classmethod
    def parse(cls, value: str | LogContext) -> LogContext:
        """Read a context case-insensitively.

        Args:
            value: ``info``, ``success``, ``warning`` or ``danger`` (any case).

        Returns:
            The member.

        Raises:
            ValueError: For any other value, listing the valid ones.

        Example:
            >>> LogContext.parse("danger").value
            'danger'
        """
        if isinstance(value, LogContext):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            valid = ", ".join(member.value for member in cls)
            raise ValueError(f"log_message context must be one of {valid}, got {value!r}") from None


def _timestamp() -> str:
    # The platform's format: local time, microseconds, no zone (as earlier SDK releases sent it).
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class LogEntry:
    """One run event: a message, a metric, an exported file...

    Attributes:
        event: The event's kind (``message``, ``dev_event``, ``export_data_file``...).
        data: Its JSON-serializable payload.
        job: The job id the event belongs to, if the run has one.
        file: A local file attached to the event (sent inline by the backend logger), if any.
        datetime: When it happened, in the platform's format.
        event_id: A unique id, so that a resent entry can be recognized.

    Example:
        >>> LogEntry("metric", {"loss": 0.1}).event
        'metric'
    """

    event: str
    data: Any
    job: str | None = None
    file: str | None = None
    datetime: str = field(default_factory=_timestamp)
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def message(cls, content: str, *, context: str | LogContext = LogContext.INFO, job: str | None = None) -> LogEntry:
        """Build a ``message`` event.

        Args:
            content: The message.
            context: Its level (see [`LogContext`][synapse_plugins.run.records.LogContext]).
            job: The job id.

        Returns:
            The entry.

        Example:
            >>> LogEntry.message("hi").data
            {'context': 'info', 'content': 'hi'}
        """
        return cls("message", {"context": LogContext.parse(context).value, "content": str(content)}, job=job)

    def to_wire(self) -> dict[str, Any]:
        """Return the entry as ``POST logs/`` takes it.

        Example:
            >>> sorted(LogEntry("x", 1).to_wire())
            ['data', 'datetime', 'event', 'event_id', 'job']
        """
        wire: dict[str, Any] = {
            "event": self.event,
            "data": self.data,
            "datetime": self.datetime,
            "job": self.job,
            "event_id": self.event_id,
        }
        if self.file is not None:
            wire["file"] = self.file
        return wire


@dataclass
class MetricsRecord:
    """Counts of items waiting, done and failed in one metrics category (``run.log_metrics(record, category)``).

    Attributes:
        stand_by: Items not handled yet.
        success: Items done.
        failed: Items that failed.

    Example:
        >>> record = MetricsRecord(stand_by=2)
        >>> record.success = 1
        >>> record.stand_by = 1
        >>> record.as_dict()
        {'stand_by': 1, 'success': 1, 'failed': 0}
    """

    stand_by: int = 0
    success: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts as the platform stores them.

        Example:
            >>> MetricsRecord(1, 2, 3).as_dict()["failed"]
            3
        """
        return {"stand_by": self.stand_by, "success": self.success, "failed": self.failed}


def progress_record(tracker: ProgressTracker) -> dict[str, Any]:
    """Build the job's ``progress_record`` (``PATCH jobs/{id}/``) from a tracker.

    Args:
        tracker: The run's progress.

    Returns:
        ``{"record": {"categories": {name: {proportion, percent, time_remaining[, status]}}},
        "current_progress": {overall, category, percent, time_remaining}}``.

    Example:
        >>> tracker = ProgressTracker({"dataset_conversion": 100})
        >>> tracker.update("dataset_conversion", 1, 4, now=0.0)
        >>> progress_record(tracker)["current_progress"]
        {'overall': 25.0, 'category': 'dataset_conversion', 'percent': 25.0, 'time_remaining': None}
    """
    categories: dict[str, Any] = {}
    for item in tracker.categories():
        entry: dict[str, Any] = {
            "proportion": round(item.proportion, 4),
            "percent": item.percent,
            "time_remaining": item.time_remaining,
        }
        if item.failed:
            entry["status"] = "failed"
        categories[item.category] = entry
    last = tracker.snapshot()
    return {
        "record": {"categories": categories},
        "current_progress": {
            "overall": tracker.overall,
            "category": last.category or None,
            "percent": last.percent,
            "time_remaining": last.time_remaining,
        },
    }


def metrics_record(categories: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Build the job's ``metrics_record`` (``PATCH jobs/{id}/``).

    Args:
        categories: Metrics per category.

    Returns:
        ``{"record": {"categories": {...}}}``.

    Example:
        >>> metrics_record({"data_file": {"success": 1}})
        {'record': {'categories': {'data_file': {'success': 1}}}}
    """
    return {"record": {"categories": {name: dict(values) for name, values in categories.items()}}}
