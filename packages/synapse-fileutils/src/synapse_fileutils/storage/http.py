"""The HTTP provider: a plain file server that answers ``PUT``, ``GET`` and ``HEAD`` under a base URL.

Listing is not part of plain HTTP, so :meth:`~synapse_fileutils.storage.base.Storage.iter_files`,
:meth:`HTTPStorage.get_pathlib` and the counters raise
:class:`~synapse_fileutils.storage.errors.StorageUnsupportedError`. ``requests`` is imported on first use.

Example:
    >>> HTTPStorage("https://files.example.com/uploads/").get_url("a b.json")
    'https://files.example.com/uploads/a%20b.json'
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote, urlsplit

from ..http.redact import redact_url
from .base import CHUNK_SIZE, FileEntry, ProgressCallback, Storage
from .errors import StorageConfigError, StorageNotFoundError, StorageOperationError, StorageUnsupportedError

if TYPE_CHECKING:
    import requests

__all__ = ["HTTPStorage"]


class _ProgressReader:
    """A file wrapper that reports progress as ``requests`` reads the request body."""

    def __init__(self, file: IO[bytes], total: int | None, progress: ProgressCallback | None) -> None:
        self._file = file
        self._total = total
        self._progress = progress
        self._done = 0
        try:
            self._start: int | None = file.tell() if file.seekable() else None
        except (AttributeError, OSError, ValueError):
            self._start = None
        if progress is not None:
            progress(0, total)

    def rewindable(self) -> bool:
        return self._start is not None

    def rewind(self) -> None:
        """Go back to where the body started, for a retry."""
        if self._start is not None:
            self._file.seek(self._start)
            self._done = 0
            if self._progress is not None:
                self._progress(0, self._total)

    def __len__(self) -> int:
        # requests sends Content-Length from len(); a size of 0 for unknown totals would be wrong, so only sized
        # sources are wrapped in this class (see HTTPStorage._write).
        return self._total or 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._file.read(size)
        self._done += len(chunk)
        if self._progress is not None and chunk:
            self._progress(self._done, self._total)
        return chunk


class HTTPStorage(Storage):
    """Files on an HTTP(S) server under ``base_url``: upload with ``PUT``, download with ``GET``, test with ``HEAD``.

    Args:
        base_url: The folder URL; paths are appended to it (percent-encoded).
        timeout: Connect and read timeout in seconds for every request.
        headers: Extra request headers, e.g. ``{"Authorization": "Token ..."}``. Their values are treated as secrets.
        retries: How many times a request is retried after a connection failure, 429 or 5xx answer (with
            exponential backoff from 0.5 s, or the server's ``Retry-After`` up to 30 s).

    Raises:
        StorageConfigError: ``base_url`` is not an ``http``/``https`` URL.

    Example:
        >>> storage = HTTPStorage("http://127.0.0.1:8000/files", headers={"Authorization": "Token abcd1234"})
        >>> storage
        HTTPStorage(base_url='http://127.0.0.1:8000/files/')
    """

    provider = "http"
    supports_listing = False

    def __init__(
        self, base_url: str, *, timeout: float = 60.0, headers: Mapping[str, str] | None = None, retries: int = 2
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StorageConfigError(f"base_url must be an http(s) URL, got {redact_url(base_url)!r}", provider="http")
        self._headers = dict(headers or {})
        super().__init__(secrets=(parts.password, *self._headers.values()))
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._timeout = timeout
        self._retries = max(0, int(retries))
        self._session: requests.Session | None = None

    def __repr__(self) -> str:
        return f"HTTPStorage(base_url={redact_url(self._base_url)!r})"

    def _http(self) -> requests.Session:
        if self._session is None:
            import requests

            self._session = requests.Session()
            self._session.headers.update(self._headers)
        return self._session

    def _request(self, method: str, key: str, **kwargs: Any) -> requests.Response:
        response = self._send(method, key, kwargs)
        if response.status_code == 404:
            if method == "HEAD":
                return response
            response.close()
            raise StorageNotFoundError(key)
        if response.status_code >= 400:
            reason = self._scrubber.scrub(f"HTTP {response.status_code} {response.reason}")
            response.close()
            raise StorageOperationError(method, key, reason, status=response.status_code)
        return response

    def _send(self, method: str, key: str, kwargs: dict[str, Any]) -> requests.Response:
        """Send one request, retrying connection failures, 429 and 5xx while the body can be sent again.

        Every method used here is idempotent (GET, HEAD, PUT, DELETE). A PUT body is resent only when it can be
        rewound (an upload from a file); a body streamed from a generator is sent once.
        """
        import requests

        body = kwargs.get("data")
        rewindable = body is None or (isinstance(body, _ProgressReader) and body.rewindable())
        for attempt in range(self._retries + 1):
            last = attempt == self._retries or not rewindable
            try:
                response = self._http().request(method, self._full_url(key), timeout=self._timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout):
                if last:
                    raise
                delay = _backoff(attempt)
            else:
                if last or response.status_code not in _RETRY_STATUSES:
                    return response
                delay = _retry_after(response.headers.get("Retry-After"), attempt)
                response.close()
            time.sleep(delay)
            if isinstance(body, _ProgressReader):
                body.rewind()
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _full_url(self, key: str) -> str:
        return self._base_url + quote(key)

    def _write(self, key: str, source: IO[bytes], total: int | None, progress: ProgressCallback | None) -> None:
        # Unknown size (a file object): a generator, which requests sends with chunked transfer encoding.
        body: Any = _ProgressReader(source, total, progress) if total is not None else _chunks(source, progress)
        self._request("PUT", key, data=body).close()

    def _read_into(self, key: str, target: IO[bytes], progress: ProgressCallback | None) -> None:
        with self._request("GET", key, stream=True) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            if progress is not None:
                progress(0, total)
            for chunk in response.iter_content(CHUNK_SIZE):
                target.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
            if total is not None and done != total:
                raise StorageOperationError("download", key, f"truncated body: got {done} of {total} bytes")

    def _exists(self, key: str) -> bool:
        response = self._request("HEAD", key, allow_redirects=True)
        response.close()
        return response.status_code < 400

    def _delete(self, key: str) -> None:
        self._request("DELETE", key).close()

    def _url(self, key: str, presigned: bool, expires: int) -> str:
        return self._full_url(key)

    def _iter_files(self, key: str) -> Iterator[FileEntry]:
        self._unsupported("listing")

    def get_pathlib(self, path: str | os.PathLike[str] = "") -> NoReturn:
        """Refuse: plain HTTP has no folders to walk.

        Args:
            path: Ignored.

        Raises:
            StorageUnsupportedError: Always.

        Example:
            >>> try:
            ...     HTTPStorage("http://127.0.0.1:8000/").get_pathlib("a")
            ... except StorageUnsupportedError as exc:
            ...     print(exc)
            the 'http' storage provider does not support get_pathlib
        """
        self._unsupported("get_pathlib")

    def _unsupported(self, operation: str) -> NoReturn:
        raise StorageUnsupportedError(self.provider, operation)


_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_DELAY = 30.0


def _backoff(attempt: int) -> float:
    return float(min(_MAX_DELAY, 0.5 * 2**attempt))


def _retry_after(header: str | None, attempt: int) -> float:
    """Seconds to wait before a retry: the server's ``Retry-After`` (seconds form), capped, else the backoff."""
    if header is not None and header.strip().isdigit():
        return min(_MAX_DELAY, float(header.strip()))
    return _backoff(attempt)


def _chunks(source: IO[bytes], progress: ProgressCallback | None) -> Iterator[bytes]:
    done = 0
    if progress is not None:
        progress(0, None)
    while chunk := source.read(CHUNK_SIZE):
        done += len(chunk)
        yield chunk
        if progress is not None:
            progress(done, None)
