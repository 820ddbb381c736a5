"""Job lifecycle rules shared by the Ray and agent clients: argument checks, waiting, stopping.

Both clients talk to different paths but promise the same behaviour: bad ids, timeouts and protocols fail with 400
before any request; ``stop_job`` fails with 400 on a terminal job; waiting polls until the job is really terminal.

Example:
    >>> validate_protocol("websocket")
    'websocket'
    >>> validate_protocol("ftp")
    Traceback (most recent call last):
    ...
    synapse_client.errors.BadRequestError: 400: Invalid protocol 'ftp': use 'stream' or 'websocket'
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import BadRequestError, ClientError, ClientTimeoutError
from .jobs import JobDetails

__all__ = [
    "MAX_WAIT_TIMEOUT",
    "PROTOCOLS",
    "entrypoint_to_string",
    "stop_and_wait",
    "validate_limit",
    "validate_poll_interval",
    "validate_protocol",
    "wait_until_terminal",
]

PROTOCOLS = ("stream", "websocket")
_RESTOP_INTERVAL = 2.0
MAX_WAIT_TIMEOUT = 7 * 24 * 3600.0  # waiting for a job may take long; streaming reads stay bounded by 300 s


def validate_protocol(protocol: Any) -> str:
    """Check a log tailing protocol.

    Args:
        protocol: ``"stream"`` or ``"websocket"``.

    Returns:
        The protocol.

    Raises:
        BadRequestError: For anything else (400).

    Example:
        >>> validate_protocol("stream")
        'stream'
    """
    if protocol not in PROTOCOLS:
        raise BadRequestError(400, f"Invalid protocol {protocol!r}: use 'stream' or 'websocket'")
    return str(protocol)


MAX_LIST_LIMIT = 10_000


def validate_limit(limit: Any) -> int:
    """Check the ``limit`` of a list call: an integer in [1, 10000].

    Args:
        limit: The most records to return.

    Returns:
        The limit.

    Raises:
        BadRequestError: For anything else (400, before any request).

    Example:
        >>> validate_limit(100)
        100
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIST_LIMIT:
        raise BadRequestError(400, f"Invalid limit {limit!r}: use an integer in [1, {MAX_LIST_LIMIT}]")
    return limit


def validate_poll_interval(poll_interval: Any) -> float:
    """Check a polling interval: a number of seconds in (0, 60].

    Args:
        poll_interval: Seconds between two polls.

    Returns:
        The interval as a float.

    Raises:
        BadRequestError: When it is not a positive number up to 60 (400).

    Example:
        >>> validate_poll_interval(0.5)
        0.5
    """
    if isinstance(poll_interval, bool) or not isinstance(poll_interval, (int, float)) or not 0 < poll_interval <= 60:
        raise BadRequestError(400, f"Invalid poll_interval {poll_interval!r}: use a number of seconds in (0, 60]")
    return float(poll_interval)


def entrypoint_to_string(entrypoint: str | Sequence[str]) -> str:
    r"""Turn an entrypoint into the shell command Ray runs, quoting each argument of an argv list.

    Args:
        entrypoint: An argv list (each item quoted with `shlex.join`, the safe choice for user data) or a
            command string used as given.

    Returns:
        The command string.

    Raises:
        BadRequestError: When it is empty or not strings (400).

    Example:
        >>> print(entrypoint_to_string(["echo", "hi; rm -rf /", "$HOME"]))
        echo 'hi; rm -rf /' '$HOME'
    """
    if isinstance(entrypoint, str):
        if not entrypoint.strip():
            raise BadRequestError(400, "Invalid entrypoint: empty command")
        return entrypoint
    items = list(entrypoint)
    if not items or not all(isinstance(item, str) for item in items):
        raise BadRequestError(400, "Invalid entrypoint: give a command string or a non-empty list of strings")
    return shlex.join(items)


def wait_until_terminal(
    get_job: Callable[[], JobDetails],
    timeout: float,
    poll_interval: float,
    *,
    on_poll: Callable[[JobDetails], None] | None = None,
) -> JobDetails:
    """Poll a job until its status is terminal.

    Args:
        get_job: Fetches the job's current record.
        timeout: Seconds to wait at most.
        poll_interval: Seconds between polls.
        on_poll: Called with each non-terminal record (the stop logic re-sends its stop request from here).

    Returns:
        The terminal record.

    Raises:
        ClientTimeoutError: When the job is still running after ``timeout`` seconds (408).

    Example:
        ```python
        job = wait_until_terminal(lambda: client.get_job(job_id), timeout=60, poll_interval=1)
        ```
    """
    deadline = time.monotonic() + timeout
    while True:
        job = get_job()
        if job.is_terminal():
            return job
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ClientTimeoutError(408, f"Job {job.job_id} still {job.status.value} after {timeout:g} s")
        if on_poll is not None:
            on_poll(job)
        time.sleep(min(poll_interval, remaining))


def stop_and_wait(
    get_job: Callable[[], JobDetails],
    request_stop: Callable[[], bool],
    *,
    wait: bool,
    timeout: float,
    poll_interval: float,
) -> dict[str, Any]:
    """Stop a job with the rules both clients promise.

    A terminal job gives 400 (checked before and, for races, after the stop request). Ray answers a stop of a
    ``PENDING`` job with success even when the job goes on to run, so with ``wait=True`` the stop request is repeated
    while the job stays non-terminal, until it is terminal or ``timeout`` passes.

    Args:
        get_job: Fetches the job's record (raises 404 for an unknown job).
        request_stop: Sends the stop request and returns whether the server accepted it.
        wait: Whether to wait until the job is terminal.
        timeout: Seconds to wait when ``wait`` is true.
        poll_interval: Seconds between status polls.

    Returns:
        ``{"job_id": ..., "stopped": True, "status": ...}`` with the status after the request (terminal when waited).

    Raises:
        BadRequestError: When the job is already terminal (400).
        NotFoundError: When the job is unknown (404).
        ClientTimeoutError: When ``wait`` is true and the job is not terminal in time (408).

    Example:
        ```python
        stop_and_wait(get_job, request_stop, wait=True, timeout=30, poll_interval=0.5)
        ```
    """
    job = get_job()
    if job.is_terminal():
        raise BadRequestError(400, f"Job {job.job_id} is already terminal ({job.status.value})")
    if not request_stop():
        job = get_job()
        raise BadRequestError(400, f"Job {job.job_id} is already terminal ({job.status.value})")
    if not wait:
        return {"job_id": job.job_id, "stopped": True, "status": get_job().status.value}

    last_request = time.monotonic()

    def stop_again(_: JobDetails) -> None:
        nonlocal last_request
        if time.monotonic() - last_request < _RESTOP_INTERVAL:
            return  # Ray needs up to ~3 s (SIGTERM, then SIGKILL) for a stop it accepted
        last_request = time.monotonic()
        try:
            request_stop()
        except ClientError as exc:  # it ended between the poll and this request: the next poll sees it
            if exc.status != 400:
                raise

    final = wait_until_terminal(get_job, timeout, poll_interval, on_poll=stop_again)
    return {"job_id": final.job_id, "stopped": True, "status": final.status.value}
