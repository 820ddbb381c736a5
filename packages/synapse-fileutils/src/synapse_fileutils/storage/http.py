"""The HTTP provider: a plain file server that answers ``PUT``, ``GET`` and ``HEAD`` under a base URL.

Listing is not part of plain HTTP, so :meth:`~synapse_fileutils.storage.base.Storage.iter_files`,
:meth:`HTTPStorage.get_pathlib` and the counters raise
:class:`~synapse_fileutils.storage.errors.StorageUnsupportedError`. ``requests`` is imported on first use.

Example:
    >>> HTTPStorage("https://files.example.com/uploads/").get_url("a b.json")
    'https://files.example.com/uploads/a%20b.json'
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ..http.agent import USER_AGENT
from ..http.origin import UnsafeURLError, headers_for, origin_of
from ..http.redact import redact_url
from ..http.redirects import MAX_REDIRECTS, RedirectError, is_redirect, next_hop
from ..http.retry import TRANSIENT_STATUSES, urllib3_retry
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
        self.seek(0)

    def tell(self) -> int:
        """Bytes of the body read so far (urllib3 records this before sending, to rewind for a retry)."""
        return self._done

    def seek(self, position: int, whence: int = 0) -> int:
        """Go back to ``position`` bytes into the body (only absolute positions; urllib3 rewinds to 0)."""
        if self._start is None or whence != 0:
            raise OSError("this request body cannot be rewound")
        self._file.seek(self._start + position)
        self._done = position
        if self._progress is not None:
            self._progress(position, self._total)
        return position

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
        headers: Extra request headers, e.g. ``{"Authorization": "Token ..."}``. Their values are treated as secrets,
            and none of them follows a redirect to another origin (host, port or scheme).
        retries: How many times a request is retried after a connection failure or a transient status
            (:data:`~synapse_fileutils.http.TRANSIENT_STATUSES`), by urllib3's ``Retry`` with exponential backoff
            from 0.5 s, or the server's ``Retry-After`` up to 60 s. A body streamed from a file object of unknown
            size is sent once.

    A user and password in ``base_url`` (``http://user:pw@host/``) are sent as HTTP Basic auth to that origin only;
    they are removed from the URL, so :meth:`get_url`, :meth:`upload` and ``repr`` never show them.

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
        try:
            self._origin = origin_of(base_url)
        except UnsafeURLError as exc:
            raise StorageConfigError(f"base_url is not a usable URL: {exc}", provider="http") from None
        self._headers = dict(headers or {})
        userinfo, at, hostinfo = parts.netloc.rpartition("@")
        if at:  # credentials travel as a header (stripped off-origin), never in a URL we hand out
            user, _, password = userinfo.partition(":")
            token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode("ascii")
            self._headers.setdefault("Authorization", f"Basic {token}")
            base_url = urlunsplit((parts.scheme, hostinfo, parts.path, parts.query, parts.fragment))
        super().__init__(secrets=(parts.password, *self._headers.values()))
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._timeout = timeout
        self._retries = max(0, int(retries))
        self._sessions: dict[bool, requests.Session] = {}

    def __repr__(self) -> str:
        return f"HTTPStorage(base_url={redact_url(self._base_url)!r})"

    def _http(self, retrying: bool = True) -> requests.Session:
        """The session for requests whose body can be sent again (``retrying``) or not (no transport retries)."""
        session = self._sessions.get(retrying)
        if session is None:
            import requests
            from requests.adapters import HTTPAdapter

            from ..http.logs import quiet_transport_logs

            quiet_transport_logs(self._headers.values())
            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            retry = urllib3_retry(self._retries if retrying else 0, statuses=TRANSIENT_STATUSES)
            adapter = HTTPAdapter(max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._sessions[retrying] = session
        return session

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
        """Send one request, following redirects one checked hop at a time; urllib3 retries transient failures.

        Every method used here is idempotent (GET, HEAD, PUT, DELETE). A PUT body is resent (by a retry or a 307/308
        redirect) only when it can be rewound (an upload from a file); a body streamed from a generator is sent once.
        Off the base URL's origin none of the configured headers is sent.
        """
        body = kwargs.pop("data", None)
        rewindable = body is None or (isinstance(body, _ProgressReader) and body.rewindable())
        session = self._http(retrying=rewindable)
        url = self._full_url(key)
        headers = dict(self._headers)
        for hop in range(MAX_REDIRECTS + 1):
            response = session.request(
                method, url, data=body, headers=headers, timeout=self._timeout, allow_redirects=False, **kwargs
            )
            location = response.headers.get("Location")
            if not is_redirect(response.status_code, location):
                return response
            response.close()
            if hop == MAX_REDIRECTS:
                raise StorageOperationError(method, key, f"more than {MAX_REDIRECTS} redirects")
            try:
                url, new_method = next_hop(url, response.status_code, str(location), method)
            except RedirectError as exc:
                raise StorageOperationError(method, key, exc.reason) from None
            if new_method != method:
                method, body = new_method, None
            elif body is not None:
                if not rewindable:
                    raise StorageOperationError(method, key, "redirected, and the streamed body cannot be resent")
                body.rewind()
            headers = headers_for(url, self._origin, headers, self._headers)
        raise AssertionError("unreachable: the last hop returns or raises")  # pragma: no cover

    def _full_url(self, key: str) -> str:
        return self._base_url + quote(key)

    def _write(self, key: str, source: IO[bytes], total: int | None, progress: ProgressCallback | None) -> None:
        # Unknown size (a file object): a generator, which requests sends with chunked transfer encoding.
        body: Any = _ProgressReader(source, total, progress) if total is not None else _chunks(source, progress)
        self._request("PUT", key, data=body).close()

    def _read_into(self, key: str, target: IO[bytes], progress: ProgressCallback | None) -> None:
        with self._request("GET", key, stream=True) as response:
            length = response.headers.get("Content-Length")
            announced = int(length) if length and length.isdigit() else None
            # A body the server compressed anyway (Content-Encoding: gzip) is decoded on the way to the file: the
            # announced length counts the encoded bytes, so it is compared with what came off the wire, and the
            # file's own size is not known in advance.
            encoded = (response.headers.get("Content-Encoding") or "identity").lower() != "identity"
            total = None if encoded else announced
            done = 0
            if progress is not None:
                progress(0, total)
            for chunk in response.iter_content(CHUNK_SIZE):
                target.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
            received = response.raw.tell() if encoded else done
            if announced is not None and received != announced:
                raise StorageOperationError("download", key, f"truncated body: got {received} of {announced} bytes")

    def _exists(self, key: str) -> bool:
        response = self._request("HEAD", key)
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


def _chunks(source: IO[bytes], progress: ProgressCallback | None) -> Iterator[bytes]:
    done = 0
    if progress is not None:
        progress(0, None)
    while chunk := source.read(CHUNK_SIZE):
        done += len(chunk)
        yield chunk
        if progress is not None:
            progress(done, None)
