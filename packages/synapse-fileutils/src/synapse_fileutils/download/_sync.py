"""The blocking transport of downloads: a pooled :mod:`requests` session driving a :class:`Transfer`.

:mod:`requests` is imported when the first download starts, not when the package is imported.

Example:
    >>> session = shared_session()
    >>> session is shared_session()
    True
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING, BinaryIO

from ..http.causes import describe_cause
from ..http.redact import redact_text, truncate, url_secrets
from ..progress import ProgressReporter
from ._transfer import DownloadOptions, ResumePoint, RetryLater, Transfer, ValidatorCallback

if TYPE_CHECKING:
    import requests

__all__ = ["fetch", "shared_session"]

#: Connections kept open per host: enough for the default worker count of batch downloads.
POOL_SIZE = 64

_lock = threading.Lock()
_session: requests.Session | None = None
_session_pid = 0


def shared_session() -> requests.Session:
    """Return the process-wide :class:`requests.Session` used by downloads, creating it on first use.

    One session keeps connections alive across downloads (no new TCP/TLS handshake per file). Its adapter pools up to
    :data:`POOL_SIZE` connections per host and does no retries of its own: :class:`Transfer` owns the retry policy.
    A forked child gets a fresh session, since sockets must not be shared across processes.

    Returns:
        The shared session.

    Example:
        >>> shared_session().headers["User-Agent"].startswith("synapse-sdk/")
        True
    """
    global _session, _session_pid  # one pooled session per process, created lazily
    with _lock:
        if _session is None or _session_pid != os.getpid():
            import requests
            from requests.adapters import HTTPAdapter

            from ..http.agent import USER_AGENT

            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=16, pool_maxsize=POOL_SIZE, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = USER_AGENT
            _session, _session_pid = session, os.getpid()
        return _session


def describe_error(exc: BaseException, url: str) -> str:
    """Return a short description of a transport exception's root cause, with the URL's secrets removed.

    The root cause, not the wrapper's message: requests says "Max retries exceeded" even though it made one attempt
    (our retry loop counts), which read as nonsense inside "retry 1 of 5".

    Args:
        exc: The exception raised by the transport.
        url: The requested URL, whose query string and user info must not appear.

    Returns:
        ``"<ExceptionType>: <message>"``, at most 300 characters.

    Example:
        >>> describe_error(ConnectionError("GET /f?sig=1234 failed"), "http://h/f?sig=1234")
        'ConnectionError: GET /f?*** failed'
    """
    return truncate(redact_text(describe_cause(exc), url_secrets(url)), 300)


def _stream_body(response: requests.Response, transfer: Transfer) -> None:
    chunk_size = transfer.options.chunk_size
    read1 = getattr(response.raw, "read1", None)  # urllib3 >= 2
    # read1 returns what one socket read brings, so bytes that arrived before a dropped connection are written (and
    # not re-requested); a plain read(chunk_size) would discard a partly filled chunk along with its error.
    chunks = (
        response.iter_content(chunk_size=chunk_size)
        if read1 is None
        else iter(lambda: read1(chunk_size, decode_content=True), b"")
    )
    for chunk in chunks:
        transfer.write(chunk)
        transfer.wrote(len(chunk))


def fetch(
    url: str,
    file: BinaryIO,
    options: DownloadOptions,
    progress: ProgressReporter,
    session: requests.Session | None = None,
    *,
    resume: ResumePoint | None = None,
    on_validator: ValidatorCallback | None = None,
) -> Transfer:
    """Download ``url`` into ``file``, resuming and retrying as :class:`Transfer` decides.

    Args:
        url: The URL (http or https).
        file: The temp file, open for binary writing and positioned at its end (empty unless ``resume``).
        options: Timeouts, retry policy, chunk size and headers.
        progress: Receives byte counts.
        session: The session to use; defaults to :func:`shared_session`.
        resume: Bytes already in ``file`` from an earlier call, resumed with ``Range`` + ``If-Range``.
        on_validator: Called with the validator and size of a full response before its body is written.

    Returns:
        The finished transfer (for its attempt count and resume offsets).

    Raises:
        DownloadError: The server refused the download or the retries are used up.

    Example:
        >>> import io
        >>> from synapse_fileutils.progress import NullProgress
        >>> from synapse_fileutils.download import RetryPolicy
        >>> fetch(
        ...     "http://127.0.0.1:9/none",
        ...     io.BytesIO(),
        ...     DownloadOptions(retry=RetryPolicy(max_attempts=1)),
        ...     NullProgress(),
        ... )  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        synapse_fileutils.download.errors.DownloadError: download failed
    """
    import requests
    import urllib3

    session = session if session is not None else shared_session()
    from ..http.logs import quiet_transport_logs

    quiet_transport_logs((options.headers or {}).values())  # urllib3's DEBUG request line shows the query string
    transient = (
        requests.ConnectionError,
        requests.Timeout,
        requests.exceptions.ChunkedEncodingError,
        urllib3.exceptions.HTTPError,  # raised by read1 (connection dropped, read timeout)
    )
    transfer = Transfer(url, file, options, progress, resume=resume, on_validator=on_validator)
    timeout = (options.connect_timeout, options.read_timeout)
    while True:
        headers = transfer.next_request_headers()
        failure: str | None = None
        delay = 0.0
        try:
            with session.get(
                transfer.request_url, headers=headers, stream=True, timeout=timeout, allow_redirects=False
            ) as response:
                if transfer.on_response(response.status_code, response.headers):
                    _stream_body(response, transfer)
                    transfer.on_body_end()
            return transfer
        except RetryLater as retry:
            delay = retry.delay
        except transient as exc:
            failure = describe_error(exc, url)  # only the redacted text leaves this block
        if failure is not None:  # outside the handler, so the raised error has no unredacted __context__
            delay = transfer.on_transport_error(failure)
        if delay > 0:
            time.sleep(delay)
