"""Handles to runs started with ``run_plugin(..., wait=False)``: id, status, wait, stop, follow.

Every method's handle has the same five members, so a caller (the CLI, the demo, a test) treats them alike:

- ``id``: the Ray job's submission id, the task's id, or the Serve request's id;
- ``status()``: the run's [`JobStatus`][synapse_client.ray.jobs.JobStatus] now;
- ``wait(timeout=None)``: the action's result, or its error raised (``ExecutionError`` with the action's message and
  traceback, ``RunStoppedError`` when stopped); ``ClientTimeoutError`` (408) when ``timeout`` seconds pass first;
- ``stop()``: stop the run and wait until it has ended (its logs flushed, its status STOPPED); on a run that has
  already ended, ``BadRequestError`` (400) saying so, as ``RayClient.stop_job`` does;
- ``follow()``: the run's events as they happen (see [`follow`][synapse_plugins.execution.follow]).

Example:
    ```python
    handle = run_plugin("examples/hello", "greet", {"who": "Ada"}, method="job", wait=False)
    print(handle.id, handle.status())
    print(handle.wait(timeout=300))
    ```
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from synapse_client.ray.jobs import JobStatus

from .events import RunEnded, RunEvent

if TYPE_CHECKING:
    from synapse_client.ray import RayClient

__all__ = ["JobHandle", "RunHandle"]

#: Seconds ``stop()`` waits for the run to end (Ray sends SIGKILL 3 s after SIGTERM).
STOP_TIMEOUT = 60.0


class RunHandle(Protocol):
    """What every ``run_plugin(..., wait=False)`` returns."""

    @property
    def id(self) -> str:
        """The run's id."""
        ...

    def status(self) -> JobStatus:
        """The run's status now."""
        ...

    def wait(self, timeout: float | None = None) -> Any:
        """Wait for the end; return the result or raise the action's error."""
        ...

    def stop(self) -> dict[str, Any]:
        """Stop the run and wait until it has ended."""
        ...

    def follow(self) -> Iterator[RunEvent]:
        """Yield the run's events until it ends."""
        ...


class JobHandle:
    """A plugin action running as a Ray job.

    Args:
        client: A client for the job's dashboard.
        job_id: The job's submission id.
        marker: The run's frame marker.
    """

    def __init__(self, client: RayClient, job_id: str, marker: str) -> None:
        self.client = client
        self._id = job_id
        self.marker = marker
        self._ended: RunEnded | None = None

    def __repr__(self) -> str:
        return f"JobHandle(id={self._id!r}, dashboard={self.client.base_url!r})"

    @property
    def id(self) -> str:
        """The job's submission id (use it with ``synapse job`` and the Ray dashboard)."""
        return self._id

    def status(self) -> JobStatus:
        """Return the job's status from Ray."""
        return self.client.get_job(self._id).status

    def ended(self) -> RunEnded:
        """Return the final event of a terminal job (read once from the log's tail, then kept)."""
        if self._ended is None:
            from .follow import _from_ray
            from .joblog import find_end

            self._ended = find_end(self.client.list_job_logs(self._id), self.marker) or _from_ray(self.client, self._id)
        return self._ended

    def wait(self, timeout: float | None = None) -> Any:
        """Wait until the job ends; return the action's result or raise its error.

        Args:
            timeout: Seconds to wait at most (None: up to a week).

        Returns:
            The result.

        Raises:
            ExecutionError: The action failed (its message, type and traceback).
            RunStoppedError: The job was stopped.
            ClientTimeoutError: Not ended in time (408).
        """
        from synapse_client.ray.lifecycle import MAX_WAIT_TIMEOUT

        self.client.wait_for_job(self._id, timeout=MAX_WAIT_TIMEOUT if timeout is None else timeout, poll_interval=0.2)
        return self.ended().outcome()

    def stop(self) -> dict[str, Any]:
        """Stop the job (SIGTERM: the action logs its stop and ends STOPPED) and wait until it has ended.

        Returns:
            ``{"job_id": ..., "stopped": True, "status": ...}``.

        Raises:
            BadRequestError: The job has already ended (400).
        """
        return self.client.stop_job(self._id, wait=True, timeout=STOP_TIMEOUT, poll_interval=0.2)

    def follow(self) -> Iterator[RunEvent]:
        """Yield the job's events as they happen, ending with its final status."""
        from .follow import follow_job

        for event in follow_job(self.client, self._id, self.marker):
            if isinstance(event, RunEnded):
                self._ended = event
            yield event
