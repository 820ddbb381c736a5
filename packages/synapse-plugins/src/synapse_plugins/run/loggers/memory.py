"""A logger that keeps everything in memory, for tests and for callers that inspect a run afterwards.

Example:
    >>> from synapse_plugins.run import Run
    >>> logger = MemoryLogger()
    >>> run = Run(logger)
    >>> run.log_message("hello", context="success")
    >>> run.set_progress(1, 2)
    >>> logger.messages, logger.progress[-1]["current_progress"]["percent"]
    (['hello'], 50.0)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse_client.ray.jobs import JobStatus

    from ..records import LogEntry

__all__ = ["MemoryLogger", "StatusChange"]


@dataclass(frozen=True)
class StatusChange:
    """One status the runner set.

    Attributes:
        status: The status.
        result: The action's result (when it succeeded).
        error: The error message (when it failed or was stopped).
    """

    status: JobStatus
    result: Any = None
    error: str | None = None


class MemoryLogger:
    """Keep every entry, every progress and metrics record, and every status, in order.

    Attributes:
        entries: The log entries.
        progress: Each progress record, in the order they were set.
        metrics: Each metrics record, in order.
        statuses: Each status change.
        closed: Whether ``close`` was called.

    Example:
        >>> from synapse_plugins.run.records import LogEntry
        >>> logger = MemoryLogger()
        >>> logger.log(LogEntry("metric", {"loss": 0.5}))
        >>> logger.events("metric")[0].data
        {'loss': 0.5}
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[LogEntry] = []
        self.progress: list[dict[str, Any]] = []
        self.metrics: list[dict[str, Any]] = []
        self.statuses: list[StatusChange] = []
        self.closed = False

    def log(self, entry: LogEntry) -> None:
        """Keep the entry."""
        with self._lock:
            self.entries.append(entry)

    def set_progress(self, record: dict[str, Any]) -> None:
        """Keep the record."""
        with self._lock:
            self.progress.append(record)

    def set_metrics(self, record: dict[str, Any]) -> None:
        """Keep the record."""
        with self._lock:
            self.metrics.append(record)

    def set_status(self, status: JobStatus, *, result: Any = None, error: str | None = None) -> None:
        """Keep the status."""
        with self._lock:
            self.statuses.append(StatusChange(status, result, error))

    def close(self) -> None:
        """Mark the logger closed."""
        self.closed = True

    def events(self, event: str) -> list[LogEntry]:
        """Return the entries of one kind.

        Args:
            event: The event name (``message``, ``dev_event``...).

        Returns:
            Those entries, in order.

        Example:
            >>> MemoryLogger().events("message")
            []
        """
        with self._lock:
            return [entry for entry in self.entries if entry.event == event]

    @property
    def messages(self) -> list[str]:
        """The contents of every ``message`` event, in order.

        Example:
            >>> MemoryLogger().messages
            []
        """
        return [entry.data["content"] for entry in self.events("message")]

    @property
    def status(self) -> JobStatus | None:
        """The last status set, or None.

        Example:
            >>> MemoryLogger().status is None
            True
        """
        with self._lock:
            return self.statuses[-1].status if self.statuses else None
