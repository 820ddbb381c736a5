"""Errors raised by synapse-client.

Every error the clients raise on purpose derives from :class:`ClientError`, which keeps the ``status`` and ``reason``
attributes earlier Synapse SDK releases had::

    ClientError(status, reason)

Example:
    >>> err = ClientError(404, "Job not found")
    >>> err.status, err.reason
    (404, 'Job not found')
"""

from __future__ import annotations

from typing import Any

__all__ = ["ClientError"]


class ClientError(Exception):
    """An HTTP call failed, or was refused before it was sent.

    Args:
        status: The HTTP status code (or the code the SDK maps a transport failure to: 408 for a timeout, 503 for an
            unreachable server).
        reason: A human-readable reason, free of secrets.

    Example:
        >>> try:
        ...     raise ClientError(400, "Invalid job id")
        ... except ClientError as exc:
        ...     print(exc.status, exc.reason)
        400 Invalid job id
    """

    def __init__(self, status: int, reason: Any) -> None:
        super().__init__(status, reason)
        self.status = status
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.status}: {self.reason}"
