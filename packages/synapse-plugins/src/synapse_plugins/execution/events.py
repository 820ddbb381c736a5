r"""A run's events as they cross a process: typed events, their one-line JSON frames, and the logger that writes them.

A run on Ray reports through a [`FrameLogger`][synapse_plugins.execution.events.FrameLogger]: every log entry,
progress and metrics record and non-final status becomes one JSON object, numbered in order; the runner closes the
stream with one ``end`` frame holding the final status and the result or the error (message, type, traceback). The
caller decodes the frames back into the same typed events, whatever carried them (a job's log, a task's event
channel, a Serve response), and can replay them into any [`RunLogger`][synapse_plugins.run.loggers.RunLogger], so a
``MemoryLogger`` sees the same entries, records and statuses in every method.

Frames are ASCII (``ensure_ascii``): a job's stdout may not be UTF-8, and params with any character or control
code survive as JSON escapes.

Example:
    >>> from synapse_plugins.run.records import LogEntry
    >>> frame = encode_frame(3, {"k": "log", "entry": LogEntry.message("héllo").to_wire()})
    >>> frame.isascii()
    True
    >>> event = decode_event(json.loads(frame))
    >>> type(event).__name__, event.entry.data["content"]
    ('LogRecord', 'héllo')
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from synapse_client.ray.jobs import JobStatus

from ..errors import ExecutionError, RunStoppedError
from ..run.records import LogEntry

if TYPE_CHECKING:
    from ..run.loggers import RunLogger

__all__ = [
    "FrameLogger",
    "LogLine",
    "LogRecord",
    "MetricsUpdate",
    "ProgressUpdate",
    "RunEnded",
    "RunEvent",
    "StatusUpdate",
    "decode_event",
    "encode_frame",
    "end_frame",
    "replay",
]


@dataclass(frozen=True)
class LogLine:
    """A line of plain output (the action's ``print``, Ray's own lines), not a run event.

    Attributes:
        text: The line, without its newline.
    """

    text: str


@dataclass(frozen=True)
class LogRecord:
    """A run log entry (``run.log_message``, ``run.log`` ...).

    Attributes:
        entry: The entry, as the action's run made it (same ``event_id`` and ``datetime``).
    """

    entry: LogEntry


@dataclass(frozen=True)
class ProgressUpdate:
    """The run's whole ``progress_record`` after a ``set_progress``.

    Attributes:
        record: ``{"record": {"categories": ...}, "current_progress": {"overall": ..., ...}}``.
    """

    record: dict[str, Any]

    @property
    def overall(self) -> float:
        """The overall percent (0-100).

        Example:
            >>> ProgressUpdate({"current_progress": {"overall": 40.0}}).overall
            40.0
        """
        return float(self.record.get("current_progress", {}).get("overall") or 0.0)


@dataclass(frozen=True)
class MetricsUpdate:
    """The run's whole ``metrics_record`` after a ``set_metrics``.

    Attributes:
        record: ``{"record": {"categories": ...}}``.
    """

    record: dict[str, Any]


@dataclass(frozen=True)
class StatusUpdate:
    """A status the runner set before the end (``RUNNING``).

    Attributes:
        status: The status.
    """

    status: JobStatus


@dataclass(frozen=True)
class RunEnded:
    """The last event of every run: its final status, with the result or the error.

    Attributes:
        status: ``SUCCEEDED``, ``FAILED`` or ``STOPPED``.
        result: The action's result (when it succeeded).
        error: The error's message (when it failed or was stopped).
        error_type: The qualified name of the exception the action raised, if any.
        traceback: The action's traceback, if it raised.
        action: The action's name.
        job_id: The run's job id, if any.
    """

    status: JobStatus
    result: Any = None
    error: str | None = None
    error_type: str | None = None
    traceback: str | None = None
    action: str = ""
    job_id: str | None = None

    def outcome(self) -> Any:
        """Return the result, or raise the run's error as the local runner raises it.

        Returns:
            The action's result.

        Raises:
            RunStoppedError: The run was stopped.
            ExecutionError: The run failed (message, ``error_type`` and ``traceback`` are the action's).

        Example:
            >>> RunEnded(JobStatus.SUCCEEDED, result=3).outcome()
            3
        """
        if self.status is JobStatus.SUCCEEDED:
            return self.result
        kind = RunStoppedError if self.status is JobStatus.STOPPED else ExecutionError
        raise kind(
            self.error or self.status.value.lower(),
            action=self.action,
            traceback=self.traceback,
            job_id=self.job_id,
            error_type=self.error_type,
        )


#: Any event a followed run yields: plain output lines, log entries, progress, metrics, statuses, and the end.
RunEvent = Union[LogLine, LogRecord, ProgressUpdate, MetricsUpdate, StatusUpdate, RunEnded]  # noqa: UP007 (an alias evaluated at run time on 3.10)


def encode_frame(seq: int, payload: dict[str, Any]) -> str:
    """Encode one event payload as a single ASCII JSON line (no newline).

    Args:
        seq: The event's number in its run (0, 1, 2...).
        payload: ``{"k": kind, ...}``.

    Returns:
        The JSON text.

    Raises:
        TypeError, ValueError: If the payload is not JSON-serializable (NaN included).

    Example:
        >>> encode_frame(0, {"k": "status", "status": "RUNNING"})
        '{"seq": 0, "k": "status", "status": "RUNNING"}'
    """
    return json.dumps({"seq": seq, **payload}, ensure_ascii=True, allow_nan=False)


def end_frame(ended: RunEnded) -> dict[str, Any]:
    """Return the ``end`` payload of a run.

    Args:
        ended: The final event.

    Returns:
        ``{"k": "end", "status": ..., "result": ..., "error": ..., ...}``.

    Example:
        >>> end_frame(RunEnded(JobStatus.SUCCEEDED, result=1))["status"]
        'SUCCEEDED'
    """
    return {
        "k": "end",
        "status": ended.status.value,
        "result": ended.result,
        "error": ended.error,
        "error_type": ended.error_type,
        "traceback": ended.traceback,
        "action": ended.action,
        "job_id": ended.job_id,
    }


def decode_event(frame: dict[str, Any]) -> RunEvent:
    """Turn a decoded frame back into its typed event.

    Args:
        frame: A frame's JSON object.

    Returns:
        The event.

    Raises:
        ValueError: For an unknown kind or a malformed frame.

    Example:
        >>> decode_event({"k": "end", "status": "FAILED", "error": "ValueError: x"}).error
        'ValueError: x'
    """
    kind = frame.get("k")
    try:
        if kind == "log":
            wire = frame["entry"]
            entry = LogEntry(
                event=str(wire["event"]),
                data=wire.get("data"),
                job=wire.get("job"),
                file=wire.get("file"),
                datetime=str(wire["datetime"]),
                event_id=str(wire["event_id"]),
            )
            return LogRecord(entry)
        if kind == "progress":
            return ProgressUpdate(dict(frame["record"]))
        if kind == "metrics":
            return MetricsUpdate(dict(frame["record"]))
        if kind == "status":
            return StatusUpdate(JobStatus.parse(frame["status"]))
        if kind == "end":
            return RunEnded(
                status=JobStatus.parse(frame["status"]),
                result=frame.get("result"),
                error=frame.get("error"),
                error_type=frame.get("error_type"),
                traceback=frame.get("traceback"),
                action=str(frame.get("action") or ""),
                job_id=frame.get("job_id"),
            )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed {kind!r} frame: missing {exc}") from None
    raise ValueError(f"unknown frame kind {kind!r}")


def replay(event: RunEvent, logger: RunLogger) -> None:
    """Hand one event to a logger as the run's own logger received it (plain lines are not run events: skipped).

    Args:
        event: The event.
        logger: The logger.

    Example:
        >>> from synapse_plugins.run.loggers import MemoryLogger
        >>> logger = MemoryLogger()
        >>> replay(RunEnded(JobStatus.SUCCEEDED, result=2), logger)
        >>> logger.statuses[-1].result
        2
    """
    if isinstance(event, LogRecord):
        logger.log(event.entry)
    elif isinstance(event, ProgressUpdate):
        logger.set_progress(event.record)
    elif isinstance(event, MetricsUpdate):
        logger.set_metrics(event.record)
    elif isinstance(event, StatusUpdate):
        logger.set_status(event.status)
    elif isinstance(event, RunEnded):
        logger.set_status(event.status, result=event.result, error=event.error)


class FrameLogger:
    """A run logger that turns every event into a numbered frame and hands it to ``write``.

    Final statuses are not written: the runner ends the stream with an ``end`` frame
    ([`end_text`][synapse_plugins.execution.events.FrameLogger.end_text]) that also carries the result or the traceback.

    Args:
        write: Called with each frame's JSON text, in order, under a lock (so it may write to a shared stream).

    Example:
        >>> frames = []
        >>> logger = FrameLogger(frames.append)
        >>> logger.set_status(JobStatus.RUNNING)
        >>> frames.append(logger.end_text(RunEnded(JobStatus.SUCCEEDED, result={"n": 1})))
        >>> [json.loads(f)["k"] for f in frames]
        ['status', 'end']
    """

    def __init__(self, write: Callable[[str], None]) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._seq = 0

    def _emit(self, payload: dict[str, Any]) -> None:
        with self._lock:
            text = encode_frame(self._seq, payload)
            self._seq += 1
            self._write(text)

    def log(self, entry: LogEntry) -> None:
        """Write a ``log`` frame (data that is not JSON is sent as its ``str``)."""
        wire = entry.to_wire()
        try:
            self._emit({"k": "log", "entry": wire})
        except (TypeError, ValueError):
            self._emit({"k": "log", "entry": {**wire, "data": json.loads(json.dumps(wire["data"], default=str))}})

    def set_progress(self, record: dict[str, Any]) -> None:
        """Write a ``progress`` frame."""
        self._emit({"k": "progress", "record": record})

    def set_metrics(self, record: dict[str, Any]) -> None:
        """Write a ``metrics`` frame."""
        self._emit({"k": "metrics", "record": json.loads(json.dumps(record, default=str))})

    def set_status(self, status: JobStatus, *, result: Any = None, error: str | None = None) -> None:
        """Write a ``status`` frame for a non-final status (the final one goes in the ``end`` frame)."""
        if not status.is_terminal():
            self._emit({"k": "status", "status": status.value})

    def end_text(self, ended: RunEnded) -> str:
        """Return the text of the ``end`` frame, numbered after the last event; the caller writes it.

        Args:
            ended: The final event.

        Returns:
            The frame's JSON text.

        Raises:
            TypeError, ValueError: If the result is not JSON-serializable.
        """
        with self._lock:
            return encode_frame(self._seq, end_frame(ended))

    def close(self) -> None:
        """Nothing to flush: each frame is written when it happens."""
