"""The one job status of the SDK, and the typed record of a Ray job.

[`JobStatus`][synapse_client.ray.jobs.JobStatus] is shared by every client that speaks of jobs: the Ray dashboard
([`RayClient`][synapse_client.ray.client.RayClient]), the agent's Ray operations and the backend's job records
(``synapse_client.backend.JobStatus`` is this same class). Statuses are read case-insensitively (the platform has
spelled them in lower and in upper case) and sent in upper case, as the current platform and Ray do.

Example:
    >>> job = JobDetails.from_dict({"submission_id": "raysubmit_1", "status": "RUNNING", "start_time": 0})
    >>> job.status is JobStatus.RUNNING, job.status.is_terminal()
    (True, False)
    >>> job["status"]  # the raw dict stays reachable, as in earlier releases
    'RUNNING'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any, ClassVar

__all__ = ["JobDetails", "JobStatus", "is_terminal_status", "ms_to_datetime"]


class JobStatus(str, Enum):
    """The state of a job (Ray's or the backend's); ``STOPPED``, ``SUCCEEDED`` and ``FAILED`` are terminal.

    The members are strings too, so ``job.status == "RUNNING"`` keeps working, and JSON encodes them as their upper-case
    value. Building one is case-insensitive: ``JobStatus("running") is JobStatus.RUNNING``.

    Attributes:
        TERMINAL: The terminal members, ``{STOPPED, SUCCEEDED, FAILED}``.

    Example:
        >>> JobStatus("STOPPED").is_terminal()
        True
        >>> JobStatus("succeeded") is JobStatus.SUCCEEDED
        True
        >>> JobStatus.PENDING == "PENDING"
        True
    """

    TERMINAL: ClassVar[frozenset[JobStatus]]

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"

    @classmethod
    def _missing_(cls, value: object) -> JobStatus | None:
        if isinstance(value, str):
            upper = value.strip().upper()
            if upper in cls.__members__:
                return cls[upper]
        return None

    def is_terminal(self) -> bool:
        """Tell whether the job has ended and will not change state again.

        Also callable on the class with a raw status, as the backend's status class allowed:
        ``JobStatus.is_terminal("failed")`` (any case; ``None`` or an unknown value is not terminal). Typed code
        should prefer [`is_terminal_status`][synapse_client.ray.jobs.is_terminal_status] for raw values.

        Returns:
            True for ``STOPPED``, ``SUCCEEDED`` and ``FAILED``.

        Example:
            >>> JobStatus.RUNNING.is_terminal()
            False
        """
        return is_terminal_status(self)

    @classmethod
    def parse(cls, value: Any) -> JobStatus:
        """Read a status from a server value, case-insensitively.

        Args:
            value: A status such as ``"RUNNING"`` or ``"running"`` (any case).

        Returns:
            The matching member.

        Raises:
            ValueError: When the value names no status.

        Example:
            >>> JobStatus.parse("succeeded")
            <JobStatus.SUCCEEDED: 'SUCCEEDED'>
        """
        if isinstance(value, JobStatus):
            return value
        try:
            status: JobStatus = cls(str(value))
        except ValueError:
            names = ", ".join(cls.__members__)
            raise ValueError(f"Unknown job status {value!r}: expected one of {names} (any case)") from None
        return status

    def __str__(self) -> str:
        return str.__str__(self)


JobStatus.TERMINAL = frozenset({JobStatus.STOPPED, JobStatus.SUCCEEDED, JobStatus.FAILED})


def is_terminal_status(status: JobStatus | str | None) -> bool:
    """Tell whether a status (a member or a raw server value, any case) is terminal.

    Args:
        status: A [`JobStatus`][synapse_client.ray.jobs.JobStatus], a status string, or ``None``.

    Returns:
        True for stopped, succeeded and failed; False for the others, ``None`` and unknown values.

    Example:
        >>> is_terminal_status("succeeded"), is_terminal_status(JobStatus.RUNNING), is_terminal_status(None)
        (True, False, False)
    """
    if not isinstance(status, str):
        return False
    try:
        return JobStatus(status) in JobStatus.TERMINAL
    except ValueError:
        return False


def ms_to_datetime(value: Any) -> datetime | None:
    """Convert Ray's epoch milliseconds to an aware UTC datetime; ``None`` and ``0`` mean "not yet".

    Args:
        value: Milliseconds since the epoch, or ``None``.

    Returns:
        The UTC datetime, or ``None``.

    Example:
        >>> ms_to_datetime(1_700_000_000_000).isoformat()
        '2023-11-14T22:13:20+00:00'
        >>> ms_to_datetime(0) is None
        True
    """
    if value in (None, 0, ""):
        return None
    return datetime.fromtimestamp(float(value) / 1000.0, tz=timezone.utc)


@dataclass(frozen=True)
class JobDetails:
    """One Ray job as the dashboard (or the agent) describes it.

    Args:
        job_id: The id to use with the job API: the submission id when there is one, else Ray's driver job id.
        status: The job's state.
        entrypoint: The command the job runs.
        message: Ray's human-readable status message.
        start_time: When the job started, or ``None``.
        end_time: When the job ended, or ``None`` while it runs.
        metadata: User metadata given at submission.
        raw: The server's record, unchanged.

    Example:
        >>> job = JobDetails.from_dict({"submission_id": "s1", "status": "FAILED", "end_time": 1_000})
        >>> job.job_id, job.status.is_terminal(), job.end_time.year
        ('s1', True, 1970)
    """

    job_id: str
    status: JobStatus
    entrypoint: str = ""
    message: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobDetails:
        """Build the record from the dashboard's JSON.

        Args:
            data: A job object from ``/api/jobs/`` (or the agent's ``jobs/`` endpoints).

        Returns:
            The typed record; ``raw`` keeps ``data``.

        Raises:
            ValueError: When ``status`` is missing or unknown.

        Example:
            >>> JobDetails.from_dict({"job_id": "02000000", "status": "SUCCEEDED"}).job_id
            '02000000'
        """
        job_id = data.get("submission_id") or data.get("job_id") or data.get("id") or ""
        return cls(
            job_id=str(job_id),
            status=JobStatus.parse(data.get("status")),
            entrypoint=str(data.get("entrypoint") or ""),
            message=str(data.get("message") or ""),
            start_time=ms_to_datetime(data.get("start_time")),
            end_time=ms_to_datetime(data.get("end_time")),
            metadata=dict(data.get("metadata") or {}),
            raw=dict(data),
        )

    def is_terminal(self) -> bool:
        """Tell whether the job has ended.

        Returns:
            ``self.status.is_terminal()``.

        Example:
            >>> JobDetails(job_id="s1", status=JobStatus.RUNNING).is_terminal()
            False
        """
        return self.status.is_terminal()

    def __getitem__(self, key: str) -> Any:
        """Read a field of the raw record, as earlier releases returned plain dicts.

        Args:
            key: A key of the server's record, e.g. ``"status"``.

        Returns:
            The raw value.

        Raises:
            KeyError: When the record has no such key.

        Example:
            >>> JobDetails.from_dict({"submission_id": "s1", "status": "RUNNING"})["submission_id"]
            's1'
        """
        return self.raw[key]

    def get(self, key: str, default: Any = None) -> Any:
        """Read a field of the raw record with a default.

        Args:
            key: A key of the server's record.
            default: Returned when the key is missing.

        Returns:
            The raw value or ``default``.

        Example:
            >>> JobDetails(job_id="s1", status=JobStatus.RUNNING).get("driver_info", {})
            {}
        """
        return self.raw.get(key, default)
