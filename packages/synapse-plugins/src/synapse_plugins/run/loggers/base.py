"""The protocol every run logger follows, and loggers that hold nothing or fan out.

A [`Run`][synapse_plugins.run.Run] turns an action's calls into log entries, progress records, metrics records and
status changes, and hands each to its logger. A logger decides where they go: the terminal, the platform's backend,
memory (tests), a JSON-lines stream (Ray jobs), or several at once
([`TeeLogger`][synapse_plugins.run.loggers.TeeLogger]).

Example:
    >>> from synapse_plugins.run.loggers import MemoryLogger, TeeLogger
    >>> a, b = MemoryLogger(), MemoryLogger()
    >>> tee = TeeLogger(a, b)
    >>> from synapse_plugins.run.records import LogEntry
    >>> tee.log(LogEntry.message("hi"))
    >>> len(a.entries), len(b.entries)
    (1, 1)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from synapse_client.ray.jobs import JobStatus

    from ..records import LogEntry

__all__ = ["NullLogger", "RunLogger", "TeeLogger"]


@runtime_checkable
class RunLogger(Protocol):
    """Where a run's events go. Implementations must be thread-safe and must never raise into the action.

    ``set_progress`` and ``set_metrics`` receive the whole current record each time, so a logger may keep only the
    latest (coalesce). ``close`` flushes what is pending and is safe to call twice.
    """

    def log(self, entry: LogEntry) -> None:
        """Record one event."""

    def set_progress(self, record: dict[str, Any]) -> None:
        """Record the run's current ``progress_record``."""

    def set_metrics(self, record: dict[str, Any]) -> None:
        """Record the run's current ``metrics_record``."""

    def set_status(self, status: JobStatus, *, result: Any = None, error: str | None = None) -> None:
        """Record the run's status (set by the runner, not the action), with the result or error when it ends."""

    def close(self) -> None:
        """Flush everything pending and release resources."""


class NullLogger:
    """A logger that drops everything.

    Example:
        >>> from synapse_plugins.run.records import LogEntry
        >>> NullLogger().log(LogEntry.message("gone"))
    """

    def log(self, entry: LogEntry) -> None:
        """Drop the entry."""

    def set_progress(self, record: dict[str, Any]) -> None:
        """Drop the record."""

    def set_metrics(self, record: dict[str, Any]) -> None:
        """Drop the record."""

    def set_status(self, status: JobStatus, *, result: Any = None, error: str | None = None) -> None:
        """Drop the status."""

    def close(self) -> None:
        """Nothing to flush."""


class TeeLogger:
    """Send every event to several loggers, in order; a logger that raises does not stop the others.

    Args:
        *loggers: The loggers.

    Example:
        >>> from synapse_plugins.run.loggers import MemoryLogger
        >>> TeeLogger(MemoryLogger()).loggers[0].__class__.__name__
        'MemoryLogger'
    """

    def __init__(self, *loggers: RunLogger) -> None:
        self.loggers = list(loggers)

    def _each(self, name: str, *args: Any, **kwargs: Any) -> None:
        import logging

        for logger in self.loggers:
            try:
                getattr(logger, name)(*args, **kwargs)
            except Exception:  # a logger must never fail the run; say so in the SDK's log
                logging.getLogger("synapse_plugins.run").exception("run logger %s failed in %s", logger, name)

    def log(self, entry: LogEntry) -> None:
        """Send the entry to each logger."""
        self._each("log", entry)

    def set_progress(self, record: dict[str, Any]) -> None:
        """Send the record to each logger."""
        self._each("set_progress", record)

    def set_metrics(self, record: dict[str, Any]) -> None:
        """Send the record to each logger."""
        self._each("set_metrics", record)

    def set_status(self, status: JobStatus, *, result: Any = None, error: str | None = None) -> None:
        """Send the status to each logger."""
        self._each("set_status", status, result=result, error=error)

    def close(self) -> None:
        """Close each logger."""
        self._each("close")
