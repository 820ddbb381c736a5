"""Errors raised by downloads, and the URL redaction that keeps secrets out of them.

::

    FileUtilsError
     └── DownloadError            (.url redacted, .status, .attempts, .reason)
          ├── ChecksumMismatchError  (.algorithm, .expected, .actual)
          ├── DownloadTooLargeError  (.max_size)
          └── DownloadInProgressError  (.waited)

Presigned URLs carry their signature in the query string, and some URLs carry a user and password; neither may reach
an error message, a log line or a traceback. Every URL stored on an error goes through
:func:`synapse_fileutils.http.redact_url` first (re-exported here under its old name).

Example:
    >>> error = DownloadError("not found", url="https://h/a.jpg?X-Amz-Signature=abc", status=404, attempts=1)
    >>> error.url
    'https://h/a.jpg?X-Amz-Signature=***'
    >>> str(error)
    'not found: https://h/a.jpg?X-Amz-Signature=*** (HTTP 404, 1 attempt)'
"""

from __future__ import annotations

from ..errors import FileUtilsError
from ..http.redact import redact_url

__all__ = [
    "ChecksumMismatchError",
    "DownloadError",
    "DownloadInProgressError",
    "DownloadTooLargeError",
    "redact_url",
]


class DownloadError(FileUtilsError):
    """A download failed: the server refused it, or transient failures outlasted the retries.

    Args:
        message: What went wrong, without the URL (it is appended, redacted).
        url: The URL that was requested; stored redacted.
        status: The last HTTP status received, or ``None`` if no response came (connection errors, timeouts).
        attempts: How many requests were made.
        reason: A short description of the last transient failure, already free of secrets.

    Attributes:
        url: The redacted URL.
        status: The last HTTP status, or ``None``.
        attempts: Requests made.
        reason: The last failure's description, or ``None``.

    Example:
        >>> try:
        ...     raise DownloadError("server error", url="http://h/f", status=503, attempts=6)
        ... except DownloadError as exc:
        ...     (exc.status, exc.attempts)
        (503, 6)
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        attempts: int = 0,
        reason: str | None = None,
    ) -> None:
        self.url = redact_url(url)
        self.status = status
        self.attempts = attempts
        self.reason = reason
        details = []
        if status is not None:
            details.append(f"HTTP {status}")
        if attempts:
            details.append(f"{attempts} attempt{'s' if attempts != 1 else ''}")
        text = f"{message}: {self.url}"
        if details:
            text += f" ({', '.join(details)})"
        if reason:
            text += f"; last error: {reason}"
        super().__init__(text)


class DownloadTooLargeError(DownloadError):
    """The file is larger than the ``max_size`` the caller allowed; nothing was kept.

    Raised as soon as the size is known to be over the limit: from ``Content-Length`` before the body is read, or
    while streaming when the server did not announce the size (or announced it wrongly).

    Attributes:
        max_size: The limit, in bytes.

    Example:
        >>> exc = DownloadTooLargeError("file too large", url="http://h/f?sig=x", max_size=10, status=200)
        >>> exc.max_size, exc.url
        (10, 'http://h/f?sig=***')
    """

    def __init__(self, message: str, *, url: str, max_size: int, status: int | None = None, attempts: int = 0) -> None:
        super().__init__(f"{message} (limit {max_size} bytes)", url=url, status=status, attempts=attempts)
        self.max_size = max_size


class ChecksumMismatchError(DownloadError):
    """The downloaded content does not have the expected checksum; nothing was kept.

    Args:
        url: The URL that was downloaded; stored redacted.
        algorithm: The hashlib algorithm used.
        expected: The checksum the caller expected.
        actual: The checksum of what the server sent.
        attempts: Requests made.

    Attributes:
        algorithm: The hashlib algorithm used.
        expected: The expected hex digest.
        actual: The hex digest of the received content.

    Example:
        >>> error = ChecksumMismatchError(url="http://h/f", algorithm="sha1", expected="aa", actual="bb", attempts=1)
        >>> (error.expected, error.actual, error.status)
        ('aa', 'bb', None)
    """

    def __init__(self, *, url: str, algorithm: str, expected: str, actual: str, attempts: int = 0) -> None:
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"checksum mismatch ({algorithm}: expected {expected}, got {actual})", url=url, attempts=attempts
        )


class DownloadInProgressError(DownloadError):
    """Another call (in this process or another one) kept downloading the same target for too long.

    Downloads of one target take turns through a lock file beside it; a call that waited longer than its bound for
    its turn gives up with this error instead of waiting forever. Nothing on disk was changed by the waiting call.

    Args:
        url: The URL that was requested; stored redacted.
        waited: Seconds waited for the other download.

    Attributes:
        waited: Seconds waited for the other download.

    Example:
        >>> error = DownloadInProgressError(url="http://h/f?sig=x", waited=600.0)
        >>> error.waited, error.url
        (600.0, 'http://h/f?sig=***')
    """

    def __init__(self, *, url: str, waited: float) -> None:
        super().__init__(f"another download of the same file is still running after {waited:.0f} s", url=url)
        self.waited = waited
