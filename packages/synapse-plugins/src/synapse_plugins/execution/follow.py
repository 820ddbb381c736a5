"""Follow a run live: its log lines, progress and statuses as typed events, ending with the final status.

This is what ``synapse job logs --follow``, the CLI's ``run`` and the demo show. Every method yields the same
events ([`RunEvent`][synapse_plugins.execution.events.RunEvent]): a Ray job's come from the structured frames its
entrypoint prints (read from the job's log, every line once across reconnects), a Ray task's from its event channel,
a Serve call's from its response. The last event is always [`RunEnded`][synapse_plugins.execution.events.RunEnded].

Example:
    ```python
    from synapse_plugins import run_plugin
    from synapse_plugins.execution.events import LogRecord, ProgressUpdate, RunEnded

    handle = run_plugin("examples/hello", "greet", {"who": "Ada"}, method="job", wait=False)
    for event in follow(handle):
        if isinstance(event, ProgressUpdate):
            print(f"{event.overall:5.1f}%")
        elif isinstance(event, LogRecord):
            print(event.entry.data)
        elif isinstance(event, RunEnded):
            print(event.status)
    ```
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from synapse_client.ray.jobs import JobStatus

from .events import LogLine, RunEnded, RunEvent, replay

if TYPE_CHECKING:
    from synapse_client.ray import RayClient

    from ..run.loggers import RunLogger

__all__ = ["Followable", "drive", "follow", "follow_job", "wait_following"]

#: Job metadata key holding a run's frame marker, so a follower that knows only the job id reads its events.
MARKER_KEY = "synapse_run"


class Followable(Protocol):
    """Anything with a ``follow()`` (every run handle)."""

    def follow(self) -> Iterator[RunEvent]:
        """Yield the run's events until it ends."""
        ...


def follow(handle: Followable) -> Iterator[RunEvent]:
    """Yield a run's events as they happen, ending with its final status.

    Args:
        handle: The handle ``run_plugin(..., wait=False)`` returned.

    Returns:
        An iterator of events; the last is ``RunEnded``.
    """
    return handle.follow()


def _protocol() -> str:
    try:
        import websockets  # noqa: F401
    except ImportError:
        return "stream"
    return "websocket"


def follow_job(client: RayClient, job_id: str, marker: str | None = None) -> Iterator[RunEvent]:
    """Follow a Ray job that runs a plugin action (or any job: its lines come as ``LogLine``).

    Args:
        client: A client for the job's dashboard.
        job_id: The job's submission id.
        marker: The run's frame marker (default: read from the job's metadata).

    Yields:
        The job's events; the last is ``RunEnded`` (from the job's end frame, else from Ray's own status).
    """
    from .joblog import find_end, parse_line

    if marker is None:
        marker = client.get_job(job_id).metadata.get(MARKER_KEY)
    ended: RunEnded | None = None
    for line in client.tail_job_logs(job_id, protocol=_protocol()):
        event = parse_line(line, marker) if marker else LogLine(line)
        if isinstance(event, RunEnded):
            ended = event
        else:
            yield event
    if ended is None and marker:
        ended = find_end(client.list_job_logs(job_id), marker)
    yield ended if ended is not None else _from_ray(client, job_id)


def _from_ray(client: RayClient, job_id: str) -> RunEnded:
    job = client.get_job(job_id)
    status = job.status if job.status.is_terminal() else JobStatus.FAILED
    if status is JobStatus.SUCCEEDED:  # the process exited 0 without an end frame: not one of our runs
        return RunEnded(status, job_id=job_id)
    return RunEnded(status, error=job.message or f"job {job_id} ended {status.value} without a result", job_id=job_id)


def _echo(line: LogLine) -> None:
    sys.stderr.write(line.text + "\n")


def drive(events: Iterable[RunEvent], logger: RunLogger, *, echo: Callable[[LogLine], None] | None = _echo) -> RunEnded:
    """Replay a run's events into a logger as they come, and return the final event.

    Args:
        events: From ``follow()``.
        logger: Receives each event as the run's own logger did (then is closed).
        echo: Receives plain output lines (default: print them to standard error; None drops them).

    Returns:
        The final event.

    Raises:
        RuntimeError: When the events end without a final one.
    """
    try:
        for event in events:
            if isinstance(event, LogLine):
                if echo is not None:
                    echo(event)
                continue
            replay(event, logger)
            if isinstance(event, RunEnded):
                return event
    finally:
        logger.close()
    raise RuntimeError("the run's events ended without a final status")


def wait_following(handle: Any, logger: RunLogger | None, timeout: float | None) -> Any:
    """Follow a run into a logger until it ends and return its outcome (shared by the Ray methods).

    Args:
        handle: A run handle.
        logger: Receives the events (default: the console, which also shows the run's plain output lines).
        timeout: Seconds to wait at most (None: no limit).

    Returns:
        The result.

    Raises:
        ExecutionError: As the run's ``wait`` raises.
        ClientTimeoutError: When ``timeout`` passes first (408).
    """
    import threading

    from synapse_client.errors import ClientTimeoutError

    echo: Callable[[LogLine], None] | None = None
    if logger is None:  # the console: plain output lines (the action's prints, Ray's own) are shown too
        from ..run.loggers import ConsoleLogger

        logger, echo = ConsoleLogger(), _echo
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["ended"] = drive(handle.follow(), logger, echo=echo)
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc

    if timeout is None:
        run()
    else:
        follower = threading.Thread(target=run, name=f"follow-{handle.id}", daemon=True)
        follower.start()
        follower.join(timeout)
        if follower.is_alive():
            raise ClientTimeoutError(408, f"run {handle.id} did not end within {timeout} s (it keeps running)")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["ended"].outcome()
