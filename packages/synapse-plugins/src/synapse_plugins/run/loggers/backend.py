"""A logger that reports a run to the platform's job: events to ``POST logs/``, the rest to ``PATCH jobs/{id}/``.

The action never waits for the network. Its calls only put records in memory; one background thread (the flusher)
sends them:

- **Events** go in batches (a full batch of ``batch_size`` at once, a partial one once ``interval`` seconds have
  passed since the last batch) as a list of
  [`LogEntry.to_wire()`][synapse_plugins.run.records.LogEntry.to_wire]. Each entry carries its ``event_id`` and
  each batch an ``Idempotency-Key`` header, so a batch is resent after a failure (by the client's retry policy, then
  by the flusher with backoff) without ever being stored twice. An attached ``file`` is sent inline, as
  [`BackendClient.create_logs`][synapse_client.backend.integration.IntegrationClientMixin.create_logs] does.
- **Progress and metrics** are coalesced: only the latest record is kept, and at most one ``PATCH`` goes out per
  ``interval`` (about one a second), however often the action calls ``set_progress``.
- **Statuses** (set by the runner) are ``PATCH``-ed in upper case in the order they were set, after every event
  logged before them: ``result`` with SUCCEEDED, ``result: {"error": ...}`` with FAILED and STOPPED.

The queue of events is bounded (``queue_size``). When it is full the action waits for room (back-pressure), but
for at most ``put_timeout`` seconds in all until the queue has drained again; past that, events that find the queue
full are dropped and counted, without waiting. ``close()`` flushes what is left within
``close_timeout`` seconds, counts what it could not send as dropped, logs the count and stops the thread. So a backend
that is down costs the action at most ``put_timeout`` + ``close_timeout`` seconds (a slow one at most
``put_timeout`` per backlog), and never an exception: client errors are logged (redacted) on the
``synapse_plugins.run`` logger.

Example:
    ```python
    from synapse_client.backend import BackendClient
    from synapse_plugins.run import Run
    from synapse_plugins.run.loggers.backend import BackendLogger

    logger = BackendLogger(BackendClient("https://api.example.com", access_token="..."), job_id="12")
    run = Run(logger, job_id="12")
    run.log_message("Export started")
    run.set_progress(1, 10)
    logger.close()
    print(logger.dropped, logger.sent)
    ```
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from synapse_client.errors import ClientError
from synapse_client.network import sanitize_error_message

if TYPE_CHECKING:
    from synapse_client.backend import BackendClient
    from synapse_client.ray.jobs import JobStatus

    from ..records import LogEntry

__all__ = ["BackendLogger"]

_log = logging.getLogger("synapse_plugins.run")


@dataclass
class _Status:
    """A status change waiting in the event queue (so it goes out after the events logged before it)."""

    body: dict[str, Any]


@dataclass
class _Batch:
    """Events popped from the queue for one ``POST logs/``, with the key every resend of it carries."""

    entries: list[dict[str, Any]]
    key: str


@dataclass
class _Patch:
    """One ``PATCH jobs/{id}/``: a status (or None) and the progress and metrics records it carries."""

    status: _Status | None
    progress: dict[str, Any] | None
    metrics: dict[str, Any] | None

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = dict(self.status.body) if self.status is not None else {}
        if self.progress is not None:
            body["progress_record"] = self.progress
        if self.metrics is not None:
            body["metrics_record"] = self.metrics
        return body


def _json_safe(value: Any) -> Any:
    """Return ``value`` if it encodes as JSON, else a copy with unknown objects as strings."""
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=str))


class BackendLogger:
    """Send a run's events, progress, metrics and status to a platform job, from a background thread.

    Args:
        client: The backend client (its timeouts and retry policy apply to each request).
        job_id: The job the run reports to; stamped on entries that carry none.
        interval: Seconds between two progress/metrics PATCHes; a partial event batch waits up to this long.
        batch_size: Events that make a full batch, sent at once.
        max_batch: Most events in one request (a backlog is sent in requests of this size).
        queue_size: Most events kept waiting; past it the action waits (see ``put_timeout``).
        put_timeout: Seconds the action may wait for room in a full queue, in all, until the queue drains again;
            then events that find it full are dropped.
        close_timeout: Seconds ``close()`` spends flushing before it gives up on what is left.
        max_backoff: Longest wait, in seconds, between two attempts after failures.
        close_client: Also close ``client`` when the logger closes.

    Attributes:
        job_id: The job id.
        dropped: Events that never reached the backend (queue full, refused by the server, or left at close).
        sent: Events the backend acknowledged.
        requests: Requests the flusher made (a request the client retried counts once).
        producer_waits: Times the action had to wait for room in the queue.

    Example:
        >>> from synapse_client.backend import BackendClient
        >>> logger = BackendLogger(BackendClient("http://127.0.0.1:9", access_token="t0ken"), job_id="7")
        >>> logger
        BackendLogger(job_id='7', client=BackendClient(base_url='http://127.0.0.1:9', timeout=(5.0, 30.0)))
        >>> logger.close()
        >>> logger.dropped
        0
    """

    def __init__(
        self,
        client: BackendClient,
        job_id: str | int,
        *,
        interval: float = 1.0,
        batch_size: int = 1000,
        max_batch: int = 1000,
        queue_size: int = 10_000,
        put_timeout: float = 30.0,
        close_timeout: float = 30.0,
        max_backoff: float = 10.0,
        close_client: bool = False,
    ) -> None:
        if interval <= 0 or put_timeout < 0 or close_timeout < 0 or max_backoff < 0:
            raise ValueError("BackendLogger: interval must be > 0 and timeouts >= 0")
        if not 1 <= batch_size <= max_batch or queue_size < 1:
            raise ValueError("BackendLogger: need 1 <= batch_size <= max_batch and queue_size >= 1")
        self.client = client
        self.job_id = str(job_id)
        self.interval = float(interval)
        self.batch_size = batch_size
        self.max_batch = max_batch
        self.queue_size = queue_size
        self.put_timeout = float(put_timeout)
        self.close_timeout = float(close_timeout)
        self.max_backoff = float(max_backoff)
        self.close_client = close_client
        self.dropped = 0
        self.sent = 0
        self.requests = 0
        self.producer_waits = 0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)  # the flusher waits here for work
        self._room = threading.Condition(self._lock)  # the action waits here for room in the queue
        self._queue: deque[LogEntry | _Status] = deque()
        self._queued_events = 0
        self._progress: dict[str, Any] | None = None
        self._metrics: dict[str, Any] | None = None
        self._retry: _Batch | _Patch | None = None  # what failed last and goes first next time
        # Seconds the action may still wait for room before events are dropped at once; refilled when the queue
        # has drained, so one backlog costs the action at most put_timeout in all.
        self._wait_budget = self.put_timeout
        self._closing = False
        self._closed = False
        self._deadline = 0.0
        _ = client.session  # import the HTTP stack now, not in the flusher while the action runs
        self._thread = threading.Thread(target=self._flush_loop, name=f"synapse-backend-logger-{self.job_id}")
        self._thread.daemon = True  # a stuck request must not keep the process alive after close() gave up
        self._thread.start()

    def __repr__(self) -> str:
        return f"BackendLogger(job_id={self.job_id!r}, client={self.client!r})"

    # -- the action's side: never touches the network -----------------------------------------------------------

    def log(self, entry: LogEntry) -> None:
        """Queue one event; waits at most ``put_timeout`` seconds when the queue is full, then drops it."""
        with self._lock:
            if self._closing:
                self.dropped += 1
                return
            if self._queued_events >= self.queue_size:
                if self._wait_budget > 0:
                    self.producer_waits += 1
                    started = time.monotonic()
                    deadline = started + self._wait_budget
                    while self._queued_events >= self.queue_size and not self._closing:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        self._room.wait(remaining)
                    self._wait_budget = max(0.0, self._wait_budget - (time.monotonic() - started))
                if self._queued_events >= self.queue_size or self._closing:
                    self.dropped += 1
                    return
            self._queue.append(entry)
            self._queued_events += 1
            if self._queued_events >= self.batch_size:
                self._wake.notify()

    def set_progress(self, record: dict[str, Any]) -> None:
        """Keep the latest progress record (sent at most once per ``interval``)."""
        self._keep(progress=record)

    def set_metrics(self, record: dict[str, Any]) -> None:
        """Keep the latest metrics record (sent with the progress)."""
        self._keep(metrics=record)

    def _keep(self, *, progress: dict[str, Any] | None = None, metrics: dict[str, Any] | None = None) -> None:
        with self._lock:
            if self._closing:
                return
            idle = self._progress is None and self._metrics is None
            if progress is not None:
                self._progress = progress
            if metrics is not None:
                self._metrics = metrics
            if idle:  # the flusher may be asleep with nothing to do: tell it a PATCH is due
                self._wake.notify()

    def set_status(self, status: JobStatus, *, result: Any = None, error: str | None = None) -> None:
        """Queue a status change, sent after the events logged before it.

        SUCCEEDED carries ``result``; FAILED and STOPPED carry ``result: {"error": error}``.
        """
        value = str(getattr(status, "value", status)).upper()
        body: dict[str, Any] = {"status": value}
        if value == "SUCCEEDED":
            body["result"] = _json_safe(result)
        elif value in ("FAILED", "STOPPED"):
            body["result"] = {"error": error}
        with self._lock:
            if self._closing:
                _log.warning("backend logger for job %s is closed; status %s not sent", self.job_id, value)
                return
            self._queue.append(_Status(body))
            self._wake.notify()

    def close(self) -> None:
        """Flush everything within ``close_timeout`` seconds, stop the flusher and log how many events were dropped.

        Safe to call twice.
        """
        with self._lock:
            if self._closing:
                return
            self._closing = True
            self._deadline = time.monotonic() + self.close_timeout
            self._wake.notify()
            self._room.notify_all()
        self._thread.join(self.close_timeout + 1.0)
        with self._lock:
            self._closed = True
            left = self._queued_events + (len(self._retry.entries) if isinstance(self._retry, _Batch) else 0)
            statuses = sum(isinstance(item, _Status) for item in self._queue)
            if isinstance(self._retry, _Patch) and self._retry.status is not None:
                statuses += 1
            self._queue.clear()
            self._queued_events = 0
            self._retry = None
            self.dropped += left
            dropped, sent = self.dropped, self.sent
        if statuses:
            _log.warning("backend logger for job %s could not send %d status change(s)", self.job_id, statuses)
        if dropped:
            _log.warning("backend logger for job %s dropped %d event(s), sent %d", self.job_id, dropped, sent)
        else:
            _log.debug("backend logger for job %s sent %d event(s) in %d request(s)", self.job_id, sent, self.requests)
        if self.close_client:
            self.client.close()

    # -- the flusher ---------------------------------------------------------------------------------------------

    def _flush_loop(self) -> None:
        try:
            self._flush_until_closed()
        except Exception:  # a bug here must not pass silently; close() then counts what is left as dropped
            _log.exception("backend logger for job %s stopped flushing", self.job_id)

    def _flush_until_closed(self) -> None:
        failures = 0
        retry_at = next_patch = 0.0
        next_events = time.monotonic() + self.interval
        while True:
            with self._lock:
                work = self._wait_for_work(retry_at, next_patch, next_events)
                if work is None:
                    return
            ok, retryable = self._send(work)
            now = time.monotonic()
            with self._lock:
                if self._closed:  # close() gave up on us and counted what was left
                    return
                if ok:
                    failures, retry_at, self._retry = 0, 0.0, None
                    if isinstance(work, _Batch):
                        self.sent += len(work.entries)
                        if not self._queued_events:
                            self._wait_budget = self.put_timeout
                        self._room.notify_all()
                elif retryable:
                    failures += 1
                    retry_at = now + min(self.interval * 2 ** (failures - 1), self.max_backoff)
                    self._keep_for_retry(work)
                else:
                    self._retry = None
                    if isinstance(work, _Batch):
                        self.dropped += len(work.entries)
                if isinstance(work, _Batch):
                    next_events = now + self.interval
                elif work.progress is not None or work.metrics is not None:
                    next_patch = now + self.interval

    def _keep_for_retry(self, work: _Batch | _Patch) -> None:
        if isinstance(work, _Batch) or work.status is not None:
            self._retry = work
        if isinstance(work, _Patch):  # records are state: resend the one we failed with unless a newer one came
            if self._progress is None:
                self._progress = work.progress
            if self._metrics is None:
                self._metrics = work.metrics
            if isinstance(self._retry, _Patch):
                self._retry.progress = self._retry.metrics = None

    def _wait_for_work(self, retry_at: float, next_patch: float, next_events: float) -> _Batch | _Patch | None:
        """Under the lock: wait until something is due and take it; None when the flusher should stop."""
        while True:
            now = time.monotonic()
            closing = self._closing
            records = self._progress is not None or self._metrics is not None
            if self._closed or (closing and (now >= self._deadline or not (self._queue or self._retry or records))):
                return None  # closed, out of time, or everything is flushed
            work, wake_at = self._due(
                now, closing=closing, records=records, retry_at=retry_at, next_patch=next_patch, next_events=next_events
            )
            if work is not None:
                return work
            if closing:
                wake_at = self._deadline if wake_at is None else min(wake_at, self._deadline)
            self._wake.wait(None if wake_at is None else max(wake_at - now, 0.001))

    def _due(
        self, now: float, *, closing: bool, records: bool, retry_at: float, next_patch: float, next_events: float
    ) -> tuple[_Batch | _Patch | None, float | None]:
        """Under the lock: the work due now, or when to look again (None: when woken)."""
        if now < retry_at:
            return None, retry_at
        if self._retry is not None:
            return self._retry, None
        if self._queue and isinstance(self._queue[0], _Status):
            status = self._queue.popleft()
            assert isinstance(status, _Status)
            return self._take_patch(status), None
        if self._queue and (closing or self._queued_events >= self.batch_size or now >= next_events):
            return self._take_batch(), None
        if records and (closing or now >= next_patch):
            return self._take_patch(None), None
        candidates = [next_events] if self._queue else []
        if records:
            candidates.append(next_patch)
        return None, (min(candidates) if candidates else None)

    def _take_patch(self, status: _Status | None) -> _Patch:
        patch = _Patch(status, self._progress, self._metrics)
        self._progress = self._metrics = None
        return patch

    def _take_batch(self) -> _Batch:
        entries: list[dict[str, Any]] = []
        files = 0
        while self._queue and len(entries) < self.max_batch and files < 8:
            item = self._queue[0]
            if isinstance(item, _Status):
                break
            self._queue.popleft()
            wire = item.to_wire()
            if wire.get("job") is None:
                wire["job"] = self.job_id
            if "file" in wire:
                files += 1
            entries.append(wire)
        self._queued_events -= len(entries)
        self._room.notify_all()
        return _Batch(entries, uuid.uuid4().hex)

    def _send(self, work: _Batch | _Patch) -> tuple[bool, bool]:
        """Send one request; return (sent, worth retrying). Never raises."""
        self.requests += 1
        what = f"POST logs/ ({len(work.entries)} events)" if isinstance(work, _Batch) else "PATCH jobs/{id}/"
        try:
            try:
                if isinstance(work, _Batch):
                    self._check_files(work)
                    self.client.create_logs(work.entries, idempotency_key=work.key)
                else:
                    self.client.update_job(self.job_id, work.body())
            except (TypeError, ValueError) as exc:  # not JSON: send what can be sent, once
                if isinstance(exc, ClientError):
                    raise
                if isinstance(work, _Batch):
                    work.entries = [_json_safe(entry) for entry in work.entries]
                    self.client.create_logs(work.entries, idempotency_key=work.key)
                else:
                    self.client.update_job(self.job_id, _json_safe(work.body()))
            return True, False
        except ClientError as exc:
            retryable = exc.status in (408, 429) or exc.status >= 500
            message = sanitize_error_message(str(exc))
            _log.warning("backend logger for job %s: %s failed%s: %s", self.job_id, what,
                         " (will retry)" if retryable else "", message)  # fmt: skip
            return False, retryable
        except Exception as exc:  # a logger must never fail the run; say what happened, redacted
            message = sanitize_error_message(f"{type(exc).__name__}: {exc}")
            _log.warning("backend logger for job %s: %s failed: %s", self.job_id, what, message)
            return False, False

    def _check_files(self, batch: _Batch) -> None:
        for entry in batch.entries:
            file = entry.get("file")
            if isinstance(file, str) and not file.startswith("data:") and not os.path.isfile(file):
                _log.warning("backend logger for job %s: attached file of a %s event is not readable; sent without it",
                             self.job_id, entry.get("event"))  # fmt: skip
                del entry["file"]
