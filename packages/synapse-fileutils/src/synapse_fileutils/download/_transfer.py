"""The transport-independent half of a download: cache names, retry policy, and the resume state machine.

Both transports (requests for :func:`~synapse_fileutils.download.download_file`, aiohttp for
:func:`~synapse_fileutils.download.adownload_file`) drive the same :class:`Transfer`: it says which headers to send
(``Range`` + ``If-Range`` when resuming), judges each response (``200``, ``206``, ``416``, retryable or fatal status),
checks that a body arrived whole, and decides how long to wait before the next attempt. The transports only move
bytes.

Example:
    >>> import io
    >>> transfer = Transfer("http://h/f.bin", io.BytesIO(), DownloadOptions())
    >>> transfer.next_request_headers()["Accept-Encoding"]
    'identity'
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit, urlunsplit

from ..http.origin import UnsafeURLError, headers_for, origin_of
from ..http.redact import redact_url
from ..http.redirects import MAX_REDIRECTS, RedirectError, is_redirect, next_hop
from ..http.retry import TRANSIENT_STATUSES, backoff_delay, parse_retry_after
from ..logs import get_logger
from ..progress import NullProgress, ProgressReporter
from .errors import DownloadError, DownloadTooLargeError

__all__ = [
    "DownloadOptions",
    "ResumePoint",
    "RetryPolicy",
    "Transfer",
    "cache_file_name",
    "clean_url",
    "default_download_dir",
]

logger = get_logger("synapse_fileutils.download")

#: Environment variable that overrides the download folder alone (superseded by ``SYNAPSE_CACHE_DIR``, still honoured).
DOWNLOAD_DIR_ENV = "SYNAPSE_DOWNLOAD_DIR"

#: After this many bytes written, the transfer asks the kernel to start writing them to disk (and to drop the pages of
#: the window before, written by now, from the cache). The disk then works while the network does, the final fsync has
#: at most about one window left to flush, and a big download neither fills the page cache nor gets throttled by it.
WRITE_BEHIND_BYTES = 8 * 1024 * 1024

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)\s*$", re.IGNORECASE)
_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9_-]{1,16}$")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a download retries transient failures.

    Transient failures are the statuses in :data:`synapse_fileutils.http.TRANSIENT_STATUSES`, dropped or refused
    connections, timeouts and truncated bodies. The wait before retry ``n`` (1-based) is
    :func:`synapse_fileutils.http.backoff_delay`: a random value in ``[base / 2, base]`` with
    ``base = min(max_backoff, backoff * 2 ** (n - 1))``, unless the server sent ``Retry-After``, which is honoured up
    to ``max_retry_after`` seconds.

    Args:
        max_attempts: Requests made at most, the first included. Must be at least 1.
        backoff: Base delay in seconds.
        max_backoff: Upper bound of one computed delay, in seconds.
        max_retry_after: Upper bound of a server-requested ``Retry-After`` delay, in seconds.

    Example:
        >>> RetryPolicy(max_attempts=3).max_attempts
        3
    """

    max_attempts: int = 6
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.backoff < 0 or self.max_backoff < 0 or self.max_retry_after < 0:
            raise ValueError("backoff, max_backoff and max_retry_after must not be negative")

    def delay(self, retry_number: int, retry_after: float | None = None) -> float:
        """Return the seconds to wait before retry ``retry_number`` (1 for the first retry).

        Args:
            retry_number: Which retry this is, starting at 1.
            retry_after: The server's ``Retry-After`` in seconds, if it sent one.

        Returns:
            Seconds to sleep.

        Example:
            >>> RetryPolicy(max_retry_after=10).delay(1, retry_after=3.0)
            3.0
            >>> 0 <= RetryPolicy(backoff=1, max_backoff=4).delay(5) <= 4
            True
        """
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return backoff_delay(retry_number, self.backoff, self.max_backoff)


@dataclass(frozen=True)
class DownloadOptions:
    """Transport settings shared by every request of one download.

    Args:
        connect_timeout: Seconds to wait for a connection.
        read_timeout: Seconds to wait for the next bytes of a response (not for the whole body).
        retry: Retry policy for transient failures.
        chunk_size: Bytes read and written at a time; bounds the memory a download holds.
        headers: Extra request headers (for example ``Authorization``). Never logged.
        max_size: Largest accepted file in bytes, or ``None`` for no limit.

    Example:
        >>> DownloadOptions(read_timeout=5).read_timeout
        5
    """

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    chunk_size: int = 1024 * 1024
    headers: Mapping[str, str] | None = None
    max_size: int | None = None

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("connect_timeout and read_timeout must be positive numbers of seconds")
        if self.chunk_size <= 0:
            raise ValueError(f"chunk_size must be a positive number of bytes, got {self.chunk_size}")
        if self.max_size is not None and self.max_size < 0:
            raise ValueError(f"max_size must be a non-negative number of bytes, got {self.max_size}")


@dataclass(frozen=True)
class ResumePoint:
    """Where an earlier, interrupted download of the same file stopped: its bytes are already in the file.

    Args:
        offset: Bytes already in the file (its size).
        validator: The ``ETag`` or ``Last-Modified`` of the response those bytes came from (sent as ``If-Range``).
        total: The file's full size, if that response announced it.

    Example:
        >>> ResumePoint(offset=100, validator='"v1"', total=300).offset
        100
    """

    offset: int
    validator: str
    total: int | None = None


#: Called when a full (``200``) response starts the file anew: its validator (``None``: not resumable) and size.
ValidatorCallback = Callable[[str | None, int | None], None]


def clean_url(url: str) -> str:
    """Return ``url`` without query string and fragment: the part that names the file.

    Presigned URLs change their query (signature, expiry) on every request for the same object, so the cache key
    ignores it.

    Args:
        url: The download URL.

    Returns:
        The URL with an empty query and fragment.

    Example:
        >>> clean_url("https://bucket.s3.amazonaws.com/a/b.jpg?X-Amz-Signature=1#x")
        'https://bucket.s3.amazonaws.com/a/b.jpg'
    """
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def cache_file_name(url: str, name: str | None = None) -> str:
    """Return the file name a download of ``url`` is stored under.

    Without ``name`` it is the MD5 of :func:`clean_url` (as in earlier SDK releases) plus the URL path's suffix;
    with ``name`` it is ``name`` plus that suffix. Suffixes that are not short and plain (letters, digits, ``_``,
    ``-``) are dropped, so a crafted URL cannot choose an odd file name.

    Args:
        url: The download URL.
        name: A caller-chosen base name without extension.

    Returns:
        A bare file name (no folder part).

    Raises:
        ValueError: If ``name`` is empty, ``.`` or ``..``, or contains a path separator or a NUL byte.

    Example:
        >>> cache_file_name("https://h/img/cat.JPG?sig=1")
        'adf69b8f101e85a0b78218b918e4dc37.JPG'
        >>> cache_file_name("https://h/img/cat.jpg?sig=1", name="cat")
        'cat.jpg'
    """
    cleaned = clean_url(url)
    suffix = Path(urlsplit(cleaned).path).suffix
    if not _SAFE_SUFFIX.match(suffix):
        suffix = ""
    if name is None:
        return hashlib.md5(cleaned.encode("utf-8"), usedforsecurity=False).hexdigest() + suffix
    if name in ("", ".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ValueError(f"name must be a plain file name without folders, got {name!r}")
    return name + suffix


def default_download_dir() -> Path:
    """Return the per-user folder downloads are cached in, creating it (mode 0700) if needed.

    The folder is ``downloads`` in the per-user Synapse cache (:func:`synapse_fileutils.io.get_cache_dir`:
    ``$SYNAPSE_CACHE_DIR``, else ``$XDG_CACHE_HOME/synapse-sdk``, else ``~/.cache/synapse-sdk``), the same cache
    ``FileField`` uses. ``$SYNAPSE_DOWNLOAD_DIR``, the earlier variable, still wins when set. Never a fixed folder under
    ``/tmp`` that other users could prepare.

    Returns:
        The cache folder.

    Example:
        >>> import os, tempfile
        >>> os.environ["SYNAPSE_CACHE_DIR"] = tempfile.mkdtemp()
        >>> default_download_dir() == Path(os.environ.pop("SYNAPSE_CACHE_DIR")) / "downloads"
        True
    """
    override = os.environ.get(DOWNLOAD_DIR_ENV)
    if override:
        folder = Path(override).expanduser()
    else:
        from ..io import get_cache_dir

        folder = get_cache_dir("downloads")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # requests and aiohttp both hand over case-insensitive mappings.
    return headers.get(name)


class RetryLater(Exception):  # noqa: N818 - a control-flow signal, not an error a user sees
    """Internal signal: make another request after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(delay)
        self.delay = delay


class Transfer:
    """The state of one download across attempts: bytes already on disk, the resume validator, retry accounting.

    The transport calls :meth:`next_request_headers` before each request, :meth:`on_response` with the status and
    headers, :meth:`wrote` after writing body bytes to :attr:`file`, :meth:`on_body_end` when the body ended, and
    :meth:`on_transport_error` when the connection failed. :meth:`on_response`, :meth:`on_body_end` and
    :meth:`on_transport_error` raise :class:`RetryLater` to ask for another attempt and
    :class:`~synapse_fileutils.download.errors.DownloadError` when it is over.

    Args:
        url: The URL to download (kept only in memory; messages use the redacted form).
        file: The temp file, open for binary writing, positioned at its end.
        options: Timeouts, retry policy, chunk size and headers.
        progress: Receives the byte counts.
        resume: Bytes already in :attr:`file` from an earlier call; the first request then asks only for the rest.
        on_validator: Called before a full body is written, so the caller can record what a later call needs to
            resume it.

    Example:
        >>> import io
        >>> transfer = Transfer("http://h/f", io.BytesIO(), DownloadOptions())
        >>> _ = transfer.next_request_headers()
        >>> transfer.on_response(200, {"Content-Length": "3", "ETag": '"v1"'})
        True
        >>> transfer.file.write(b"abc")
        3
        >>> transfer.wrote(3)
        3
        >>> transfer.on_body_end()
        >>> transfer.offset, transfer.attempts
        (3, 1)
    """

    def __init__(
        self,
        url: str,
        file: BinaryIO,
        options: DownloadOptions,
        progress: ProgressReporter | None = None,
        *,
        resume: ResumePoint | None = None,
        on_validator: ValidatorCallback | None = None,
    ) -> None:
        self.url = url
        #: Where the next request goes: :attr:`url`, or the target of the redirect being followed.
        self.request_url = url
        self.redirects = 0
        self._following = False
        self.file = file
        self.options = options
        self.progress: ProgressReporter = progress if progress is not None else NullProgress()
        self.offset = 0
        self.attempts = 0
        self.validator: str | None = None
        self.total: int | None = None
        self.expected_end: int | None = None
        self.last_status: int | None = None
        self.resumed_from: list[int] = []
        self._unsynced = 0
        # Write-behind windows: the previous one starts at _behind, the one being written at _window.
        self._behind = self._window = 0
        self._on_validator = on_validator
        self._progress_started = False
        if resume is not None and resume.offset > 0:
            self.offset = resume.offset
            self.validator = resume.validator
            self.total = resume.total
            self._behind = self._window = resume.offset  # the earlier call's bytes had their writeback started

    @property
    def safe_url(self) -> str:
        """The URL without secrets, for messages and logs."""
        return redact_url(self.url)

    def next_request_headers(self) -> dict[str, str]:
        """Count a new attempt and return its request headers.

        A transfer with bytes on disk asks for the rest with ``Range`` and guards it with ``If-Range`` (the ETag or
        Last-Modified of the first response), so a file that changed in between comes back whole (``200``) instead of
        being spliced. Without a validator a resume is not safe, and the transfer starts over.

        Returns:
            Headers for the request.
        """
        if self._following:  # the next hop of a redirect is part of the same attempt
            self._following = False
        else:
            self.attempts += 1
            self.request_url, self.redirects = self.url, 0  # every attempt starts from the URL given
        headers = {"Accept-Encoding": "identity"}
        if self.options.headers:
            headers.update(self.options.headers)
            try:  # caller-given headers (Authorization, X-Api-Key, any other) only go to the URL's own origin
                headers = headers_for(self.request_url, origin_of(self.url), headers, self.options.headers)
            except UnsafeURLError:
                headers = {"Accept-Encoding": "identity"}
        if self.offset > 0 and self.validator is not None:
            headers["Range"] = f"bytes={self.offset}-"
            headers["If-Range"] = self.validator
        elif self.offset > 0:
            self._restart()
        return headers

    def on_response(self, status: int, headers: Mapping[str, str]) -> bool:
        """Judge a response's status and headers before its body is read.

        Args:
            status: The HTTP status.
            headers: The response headers (case-insensitive mapping).

        Returns:
            ``True`` if the body must be streamed into :attr:`file`, ``False`` if the file is already complete.

        Raises:
            RetryLater: Another request is needed (retryable status, or a restart without ``Range``).
            DownloadError: The server refused the download (404, 403, ...), or the retries are used up.
        """
        self.last_status = status
        location = _header(headers, "Location")
        if is_redirect(status, location):
            self._follow(status, str(location))
        if status == 200:
            if self.offset > 0:
                logger.info("%s: server sent the whole file instead of a range; starting over", self.safe_url)
                self._restart()
            # A body the server compressed anyway is decoded on the way to disk; its byte offsets are not the
            # file's, so such a transfer is never resumed (it restarts instead).
            encoded = (_header(headers, "Content-Encoding") or "identity").lower() != "identity"
            self.validator = None if encoded else self._validator_of(headers)
            self.total = self._content_length(headers)
            self._check_size(self.total)
            self.expected_end = self.total
            if self._on_validator is not None:
                self._on_validator(self.validator, self.total)
            self._progress_started = True
            self.progress.start(self.total)  # a restart starts the count again
            return True
        if status == 206:
            return self._on_partial(headers)
        if status == 416 and self.offset > 0:
            total = self._parse_content_range(headers)[2]
            if total is not None and total == self.offset:
                return False  # what we have is already the whole file
            logger.info("%s: range not satisfiable; starting over", self.safe_url)
            self._restart()
            raise RetryLater(self._delay_or_fail(f"HTTP {status}", None))
        if status in TRANSIENT_STATUSES:
            retry_after = parse_retry_after(_header(headers, "Retry-After"))
            raise RetryLater(self._delay_or_fail(f"HTTP {status}", retry_after))
        raise DownloadError("download refused", url=self.url, status=status, attempts=self.attempts)

    def _follow(self, status: int, location: str) -> None:
        """Check a redirect hop and ask the transport to send the next request there."""
        try:
            target, _ = next_hop(self.request_url, status, location, "GET")
        except RedirectError as exc:
            raise DownloadError(
                "download refused", url=self.url, status=status, attempts=self.attempts, reason=exc.reason
            ) from None
        self.redirects += 1
        if self.redirects > MAX_REDIRECTS:
            raise DownloadError(
                "download refused",
                url=self.url,
                status=status,
                attempts=self.attempts,
                reason=f"more than {MAX_REDIRECTS} redirects",
            )
        self.request_url = target
        self._following = True
        raise RetryLater(0.0)

    def write(self, data: bytes | memoryview) -> None:
        """Write body bytes to :attr:`file`, starting write-behind every :data:`WRITE_BEHIND_BYTES`.

        The caller records the bytes with :meth:`wrote` afterwards (the async transport writes in a worker thread and
        counts on the event loop).

        Args:
            data: Body bytes, in order.
        """
        self._check_size(self.offset + len(data))  # before writing: an oversized body never reaches the disk
        self.file.write(data)
        # Hand the bytes to the kernel before they count: then a killed process leaves all it counted on disk, and
        # a later call resumes exactly after them.
        self.file.flush()
        self._unsynced += len(data)
        if self._unsynced >= WRITE_BEHIND_BYTES:
            self._unsynced = 0
            self._start_writeback(self.offset + len(data))

    def _start_writeback(self, end: int) -> None:
        """Start writeback of the bytes before ``end`` and drop the previous window's pages (on disk by now)."""
        fadvise = getattr(os, "posix_fadvise", None)
        start = self._behind
        self._behind, self._window = self._window, end
        if fadvise is None or end <= start:  # not on this platform: the final fsync does all the work
            return
        # DONTNEED starts writeback of dirty pages without waiting and drops pages already on disk. Only the last two
        # windows: pages before them were dropped already, and walking them again costs time. An in-memory file has
        # no descriptor (ValueError, AttributeError).
        with contextlib.suppress(OSError, ValueError, AttributeError):
            fadvise(self.file.fileno(), start, end - start, os.POSIX_FADV_DONTNEED)

    def wrote(self, n: int) -> int:
        """Record ``n`` body bytes written to :attr:`file`.

        Args:
            n: Bytes written.

        Returns:
            ``n``.
        """
        self.offset += n
        self._check_size(self.offset)
        self.progress.advance(n)
        return n

    def _check_size(self, size: int | None) -> None:
        """Refuse a file over ``options.max_size`` (announced or streamed so far)."""
        limit = self.options.max_size
        if limit is not None and size is not None and size > limit:
            raise DownloadTooLargeError(
                "file too large", url=self.url, max_size=limit, status=self.last_status, attempts=self.attempts
            )

    def on_body_end(self) -> None:
        """Check that the body that just ended left the file complete.

        Raises:
            RetryLater: The body was shorter than announced, or the server sent only part of the remaining range.
            DownloadError: It was short and the retries are used up.
        """
        if self.expected_end is not None and self.offset < self.expected_end:
            raise RetryLater(self._delay_or_fail(f"truncated body ({self.offset} of {self.expected_end} bytes)", None))
        if self.total is not None and self.offset < self.total:
            raise RetryLater(self._delay_or_fail(f"partial range ({self.offset} of {self.total} bytes)", None))

    def on_transport_error(self, description: str) -> float:
        """Account for a failed connection, timeout or interrupted body.

        Args:
            description: What failed, already free of secrets.

        Returns:
            Seconds to wait before the next attempt.

        Raises:
            DownloadError: The retries are used up.
        """
        self.last_status = None
        return self._delay_or_fail(description, None)

    def _on_partial(self, headers: Mapping[str, str]) -> bool:
        start, end, total = self._parse_content_range(headers)
        self._check_size(total)
        changed = self.validator is not None and self._validator_of(headers) not in (None, self.validator)
        if start != self.offset or end is None or changed:
            logger.info("%s: unusable partial response; starting over", self.safe_url)
            self._restart()
            self._fail_if_out_of_attempts("unusable partial response")
            raise RetryLater(0.0)
        self.resumed_from.append(self.offset)
        self.total = total
        self.expected_end = end + 1
        self._start_progress(self.offset)  # bytes from an earlier call count as done
        logger.info("%s: resuming at byte %d", self.safe_url, self.offset)
        return True

    def _start_progress(self, done: int) -> None:
        if self._progress_started:
            return
        self._progress_started = True
        self.progress.start(self.total)
        if done:
            self.progress.advance(done)

    def _fail_if_out_of_attempts(self, reason: str) -> None:
        if self.attempts >= self.options.retry.max_attempts:
            raise DownloadError(
                "download failed", url=self.url, status=self.last_status, attempts=self.attempts, reason=reason
            )

    def _delay_or_fail(self, reason: str, retry_after: float | None) -> float:
        policy = self.options.retry
        self._fail_if_out_of_attempts(reason)
        delay = policy.delay(self.attempts, retry_after)
        logger.warning(
            "%s: %s; retry %d of %d in %.2f s",
            self.safe_url,
            reason,
            self.attempts,
            policy.max_attempts - 1,
            delay,
        )
        return delay

    def _restart(self) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.offset = self._behind = self._window = self._unsynced = 0
        self.validator = None
        self.total = None
        self.expected_end = None

    @staticmethod
    def _validator_of(headers: Mapping[str, str]) -> str | None:
        etag = _header(headers, "ETag")
        if etag and not etag.startswith("W/"):  # If-Range needs a strong validator
            return etag
        return _header(headers, "Last-Modified") or None

    @staticmethod
    def _content_length(headers: Mapping[str, str]) -> int | None:
        encoding = (_header(headers, "Content-Encoding") or "identity").lower()
        length = _header(headers, "Content-Length")
        if encoding != "identity" or length is None or not length.strip().isdigit():
            return None  # length of an encoded body says nothing about the bytes we write
        return int(length)

    @staticmethod
    def _parse_content_range(headers: Mapping[str, str]) -> tuple[int | None, int | None, int | None]:
        match = _CONTENT_RANGE.match(_header(headers, "Content-Range") or "")
        if match is None:
            return None, None, None
        start, end, total = match.groups()
        return (
            int(start) if start is not None else None,
            int(end) if end is not None else None,
            int(total) if total not in (None, "*") else None,
        )
