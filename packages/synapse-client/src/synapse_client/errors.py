"""Errors raised by synapse-client.

Every error the clients raise on purpose derives from [`ClientError`][synapse_client.errors.ClientError], which keeps
the ``status`` and ``reason`` attributes earlier Synapse SDK releases had, and adds the server's response body and the
request method and URL (with secrets redacted):

    ClientError                      any failed call (status, reason, body, method, url)
    ├── BadRequestError              400  bad id, timeout, protocol or parameters; job already terminal (ValueError)
    ├── AuthenticationError          401  missing or invalid credentials
    ├── PermissionDeniedError        403  credentials valid, action not allowed
    ├── NotFoundError                404  job, node, task, application... not found
    ├── ClientTimeoutError           408  the server did not answer in time (also transport timeouts)
    ├── ConflictError                409  the resource's state forbids the action
    ├── RateLimitError               429  rate limited by the server, or stream limits exceeded (retry_after)
    └── ServerError                  500  and any other 5xx
        ├── InvalidResponseError     502  a 2xx response whose body is not valid JSON (truncated, garbled)
        └── ServiceUnavailableError  503  server unreachable: connection refused or reset, DNS failure

Example:
    >>> err = ClientError(404, "Job not found")
    >>> err.status, err.reason
    (404, 'Job not found')
    >>> type(error_for_status(404, "Job not found")).__name__
    'NotFoundError'
"""

from __future__ import annotations

from typing import Any

from synapse_fileutils.http.redact import redact_json, redact_text, redact_url, truncate

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ClientError",
    "ClientTimeoutError",
    "ConflictError",
    "InvalidResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "ServiceUnavailableError",
    "error_for_status",
]

MAX_REASON_LENGTH = 1000
"""Longest ``reason`` kept in an error, in characters."""


def _clean_reason(reason: Any) -> Any:
    if isinstance(reason, str):
        return truncate(redact_text(reason), MAX_REASON_LENGTH)
    return redact_json(reason)


class ClientError(Exception):
    """An HTTP call failed, or was refused before it was sent.

    Secrets are removed on the way in: ``url`` is stored redacted (no userinfo, no token or signature query values),
    and ``reason`` and ``body`` have tokens and passwords replaced with ``***``.

    Args:
        status: The HTTP status code (or the code the SDK maps a failure to: 400 for bad input caught before sending,
            408 for a timeout, 503 for an unreachable server).
        reason: A human-readable reason (usually the server's ``detail``); strings are redacted and truncated.
        body: The server's response body: parsed JSON when it was JSON, else text truncated to a few KiB.
        method: The HTTP method of the failed request, if one was made.
        url: The URL of the failed request; stored redacted.

    Example:
        >>> try:
        ...     raise ClientError(400, "Invalid job id")
        ... except ClientError as exc:
        ...     print(exc.status, exc.reason)
        400 Invalid job id
        >>> ClientError(401, "bad", method="GET", url="https://h/api?token=abc").url
        'https://h/api?token=***'
    """

    def __init__(
        self,
        status: int,
        reason: Any,
        *,
        body: Any = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(status, reason)
        self.status = status
        self.reason = _clean_reason(reason)
        self.body = _clean_reason(body) if body is not None else None
        self.method = method
        self.url = redact_url(url) if url is not None else None
        self.args = (status, self.reason)

    def __str__(self) -> str:
        text = f"{self.status}: {self.reason}"
        if self.method and self.url:
            text += f" ({self.method} {self.url})"
        elif self.url:
            text += f" ({self.url})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, reason={self.reason!r}, "
            f"method={self.method!r}, url={self.url!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep every attribute across pickling (Ray ships errors between processes); the values are already redacted.
        return (_rebuild_error, (type(self), self.status, self.reason, self.__dict__.copy()))


def _rebuild_error(cls: type[ClientError], status: int, reason: Any, state: dict[str, Any]) -> ClientError:
    error = cls.__new__(cls)
    Exception.__init__(error, status, reason)
    error.__dict__.update(state)
    return error


class BadRequestError(ClientError, ValueError):
    """400: the request is invalid (bad id, timeout, protocol or parameters, or a job already terminal).

    Also a ``ValueError``, since it usually means an argument was wrong. Raised before any request is sent when the
    SDK's own validation fails
    ([`validate_resource_id`][synapse_client.network.validate_resource_id],
    [`validate_timeout`][synapse_client.network.validate_timeout]).

    Example:
        >>> BadRequestError(400, "Invalid job id").status
        400
    """


class AuthenticationError(ClientError):
    """401: credentials are missing or invalid.

    Example:
        >>> AuthenticationError(401, "Invalid token.").reason
        'Invalid token.'
    """


class PermissionDeniedError(ClientError):
    """403: the credentials are valid but do not allow this action.

    Example:
        >>> isinstance(PermissionDeniedError(403, "denied"), ClientError)
        True
    """


class NotFoundError(ClientError):
    """404: the job, node, task, application or other resource does not exist.

    Example:
        >>> str(NotFoundError(404, "Job not found", method="GET", url="http://h/api/jobs/x"))
        '404: Job not found (GET http://h/api/jobs/x)'
    """


class ClientTimeoutError(ClientError):
    """408: the server did not answer in time; also raised for connect and read timeouts of the transport.

    Example:
        >>> ClientTimeoutError(408, "Read timed out after 30 s").status
        408
    """


class ConflictError(ClientError):
    """409: the resource's current state conflicts with the request.

    Example:
        >>> ConflictError(409, "Already exists").status
        409
    """


class RateLimitError(ClientError):
    """429: rate limited by the server, or a limit of [`StreamLimits`][synapse_client.network.StreamLimits] passed.

    Args:
        status: The HTTP status code, normally 429.
        reason: A human-readable reason.
        body: The server's response body, if any.
        method: The HTTP method of the failed request, if one was made.
        url: The URL of the failed request; stored redacted.
        retry_after: Seconds the server asked to wait (from ``Retry-After``), or None when it did not say.

    Example:
        >>> RateLimitError(429, "Too many requests", retry_after=2.0).retry_after
        2.0
    """

    def __init__(
        self,
        status: int,
        reason: Any,
        *,
        body: Any = None,
        method: str | None = None,
        url: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status, reason, body=body, method=method, url=url)
        self.retry_after = retry_after


class ServerError(ClientError):
    """500 and any other 5xx: the server failed unexpectedly.

    Example:
        >>> error_for_status(504, "Gateway Timeout").__class__.__name__
        'ServerError'
    """


class InvalidResponseError(ServerError):
    """502: the server answered 2xx but its body is not what the protocol promises (truncated or invalid JSON).

    Example:
        >>> InvalidResponseError(502, "Invalid JSON in response").status
        502
    """


class ServiceUnavailableError(ServerError):
    """503: the server is unreachable (connection refused or reset, DNS failure) or answered 503.

    Example:
        >>> ServiceUnavailableError(503, "Connection refused").status
        503
    """


_BY_STATUS: dict[int, type[ClientError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: ClientTimeoutError,
    409: ConflictError,
    429: RateLimitError,
    503: ServiceUnavailableError,
}


def error_for_status(
    status: int,
    reason: Any,
    *,
    body: Any = None,
    method: str | None = None,
    url: str | None = None,
    retry_after: float | None = None,
) -> ClientError:
    """Build the [`ClientError`][synapse_client.errors.ClientError] subclass that matches an HTTP status.

    400/401/403/404/408/409/429/503 get their own class; other 5xx become
    [`ServerError`][synapse_client.errors.ServerError]; any other status a plain ``ClientError``.

    Args:
        status: The HTTP status code.
        reason: A human-readable reason.
        body: The server's response body, if any.
        method: The HTTP method of the failed request.
        url: The URL of the failed request (stored redacted).
        retry_after: Seconds from ``Retry-After``; kept only on
            [`RateLimitError`][synapse_client.errors.RateLimitError].

    Returns:
        The error, ready to raise.

    Example:
        >>> err = error_for_status(429, "slow down", retry_after=3.0)
        >>> type(err).__name__, err.retry_after
        ('RateLimitError', 3.0)
    """
    cls = _BY_STATUS.get(status)
    if cls is RateLimitError:
        return RateLimitError(status, reason, body=body, method=method, url=url, retry_after=retry_after)
    if cls is None:
        cls = ServerError if 500 <= status <= 599 else ClientError
    return cls(status, reason, body=body, method=method, url=url)
