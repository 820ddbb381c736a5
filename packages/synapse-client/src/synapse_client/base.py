"""The HTTP base every Synapse client builds on.

[`BaseClient`][synapse_client.base.BaseClient] wraps one pooled ``requests.Session`` and adds what every call needs:
explicit connect/read timeouts, retries with exponential backoff and jitter (idempotent methods only, honouring
``Retry-After``), typed errors with the server's body ([`ClientError`][synapse_client.errors.ClientError] and its
subclasses), lazy DRF pagination ([`PageIterator`][synapse_client.pagination.PageIterator]) and request/response logging
with secrets redacted.

``requests`` is imported the first time a request is made, so ``import synapse_client`` stays cheap.

Example:
    >>> client = BaseClient("https://api.example.com/", timeout=(3, 20))
    >>> client.base_url, client.timeout
    ('https://api.example.com', (3.0, 20.0))
    >>> client._url("jobs/")
    'https://api.example.com/jobs/'
    >>> client.close()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import urlencode, urlsplit

from synapse_fileutils.http import (
    IDEMPOTENT_METHODS,
    MAX_REDIRECTS,
    REDACTED,
    UNPROCESSED_STATUSES,
    USER_AGENT,
    Origin,
    RedirectError,
    UnsafeURLError,
    backoff_delay,
    headers_for,
    is_redirect,
    next_hop,
    origin_of,
    parse_retry_after,
    redact_headers,
    redact_text,
    redact_url,
    truncate,
)
from synapse_fileutils.http.causes import walk_causes

from .errors import (
    BadRequestError,
    ClientError,
    ClientTimeoutError,
    InvalidResponseError,
    ServerError,
    ServiceUnavailableError,
    error_for_status,
)
from .network import validate_timeout
from .pagination import PageIterator

if TYPE_CHECKING:
    import requests

__all__ = [
    "DEFAULT_TIMEOUT",
    "LOGGER_NAME",
    "MAX_RETRY_AFTER",
    "BaseClient",
    "HttpEvent",
    "TimeoutType",
    "normalize_timeout",
]

LOGGER_NAME = "synapse_client"
"""Name of the logger that receives a DEBUG line per request, response, retry and transport error."""

DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
"""Default (connect, read) timeout in seconds."""
MAX_RETRY_AFTER = 60.0
"""Longest ``Retry-After`` the client waits for, in seconds; a longer one is raised to the caller instead."""
#: Largest accepted timeout, in seconds (one day).
_MAX_TIMEOUT = 24 * 3600.0
#: Bytes of an error response body kept (the rest is not read).
_ERROR_BODY_LIMIT = 64 * 1024
#: Characters of a non-JSON error body kept in the error.
_ERROR_TEXT_LIMIT = 4000

TimeoutType = float | tuple[float, float] | None
"""A timeout: seconds for both connect and read, a ``(connect, read)`` pair, or None for the default."""

_ClientT = TypeVar("_ClientT", bound="BaseClient")


def normalize_timeout(timeout: TimeoutType, default: tuple[float, float] = DEFAULT_TIMEOUT) -> tuple[float, float]:
    """Turn a timeout argument into a validated ``(connect, read)`` pair.

    There is no "wait forever": ``None`` means the default pair, so every request has explicit timeouts.

    Args:
        timeout: Seconds for both phases, a ``(connect, read)`` pair, or None.
        default: The pair used for None.

    Returns:
        The pair, as floats.

    Raises:
        BadRequestError: (400) if a value is not a positive finite number (at most one day).

    Example:
        >>> normalize_timeout(10)
        (10.0, 10.0)
        >>> normalize_timeout(None)
        (5.0, 30.0)
    """
    if timeout is None:
        return default
    if isinstance(timeout, tuple):
        if len(timeout) != 2:
            raise BadRequestError(400, "Invalid timeout: expected seconds or a (connect, read) pair")
        return (validate_timeout(timeout[0], _MAX_TIMEOUT), validate_timeout(timeout[1], _MAX_TIMEOUT))
    value = validate_timeout(timeout, _MAX_TIMEOUT)
    return (value, value)


@dataclass(frozen=True)
class HttpEvent:
    """One step of a request, as seen by the logging hook; every field is already redacted.

    Attributes:
        kind: ``"request"`` (about to send), ``"response"`` (got a status), ``"retry"`` (waiting ``delay`` seconds
            before the next attempt) or ``"error"`` (a transport failure).
        method: The HTTP method.
        url: The request URL, redacted.
        attempt: The attempt number, starting at 1.
        status: The response status, if any.
        elapsed: Seconds from sending to the response headers, if any.
        delay: Seconds waited before the next attempt (``"retry"`` events).
        detail: A short redacted description (error message, retry reason).
        headers: The request headers (``"request"`` events), redacted.

    Example:
        >>> HttpEvent("request", "GET", "https://h/x?token=***", 1).kind
        'request'
    """

    kind: Literal["request", "response", "retry", "error"]
    method: str
    url: str
    attempt: int
    status: int | None = None
    elapsed: float | None = None
    delay: float | None = None
    detail: str | None = None
    headers: Mapping[str, Any] = field(default_factory=dict)


class BaseClient:
    """A pooled, retrying HTTP client with typed errors; subclass it and override ``_get_headers`` for auth.

    Retries: GET, HEAD, PUT, DELETE and OPTIONS (or any method with ``retry=True``) are retried up to ``retries``
    times after a connection failure (refused, reset, DNS, connect timeout) or a 429/502/503/504 response. The wait is
    exponential backoff with jitter, or the server's ``Retry-After`` (seconds or HTTP date) when it sends one; a
    ``Retry-After`` above ``max_retry_after`` is not waited for: the error is raised with ``retry_after`` set. Read
    timeouts are not retried (the server may still be working). Bodies that cannot be rewound (generators,
    unseekable files) are sent once.

    Redirects are followed (at most 5, else [`InvalidResponseError`][synapse_client.errors.InvalidResponseError]);
    the auth headers from ``_get_headers`` are sent only to the origin of ``base_url``, never to another host or over
    a downgrade to plain HTTP. Absolute URLs to another origin are allowed the same way: without auth headers.

    Args:
        base_url: The service root, such as ``"https://api.example.com"``; a trailing ``/`` is dropped.
        timeout: Default timeout for every call: seconds for both phases, a ``(connect, read)`` pair, or None for
            [`DEFAULT_TIMEOUT`][synapse_client.base.DEFAULT_TIMEOUT] ``(5, 30)``.
        retries: Retries after the first attempt (0 disables retrying).
        backoff: First backoff delay in seconds; doubles per retry, capped at 30 s, with jitter.
        session: A ``requests.Session`` to use (not closed by [`close`][synapse_client.base.BaseClient.close]);
            by default the client creates its own pooled session on first use.
        max_retry_after: Longest ``Retry-After`` waited for, in seconds.
        event_hook: Called with an [`HttpEvent`][synapse_client.base.HttpEvent] for each request, response, retry and
            transport error (already redacted). Every event is also logged at DEBUG on the ``synapse_client`` logger.
        pool_maxsize: Connections kept per host in the pool.

    Raises:
        BadRequestError: (400) if ``base_url`` is not an http(s) URL with a host, or ``timeout``, ``retries`` or
            ``backoff`` are invalid.

    Attributes:
        base_url: The service root without a trailing ``/``.
        timeout: The default ``(connect, read)`` timeout in seconds.
        retries: Retries after the first attempt.
        backoff: First backoff delay in seconds.

    Example:
        >>> class TokenClient(BaseClient):
        ...     def __init__(self, base_url: str, token: str) -> None:
        ...         super().__init__(base_url)
        ...         self._token = token
        ...
        ...     def _get_headers(self) -> dict[str, str]:
        ...         return {"Authorization": f"Token {self._token}"}
        >>> with TokenClient("https://api.example.com", "s3cr3t-t0ken") as client:
        ...     print(repr(client))
        TokenClient(base_url='https://api.example.com', timeout=(5.0, 30.0))
    """

    def __init__(
        self,
        base_url: str,
        timeout: TimeoutType = DEFAULT_TIMEOUT,
        *,
        retries: int = 3,
        backoff: float = 0.5,
        session: requests.Session | None = None,
        max_retry_after: float = MAX_RETRY_AFTER,
        event_hook: Callable[[HttpEvent], None] | None = None,
        pool_maxsize: int = 10,
    ) -> None:
        if not isinstance(base_url, str):
            raise BadRequestError(400, f"Invalid base_url: expected a string, got {type(base_url).__name__}")
        parts = urlsplit(base_url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise BadRequestError(400, "Invalid base_url: expected an http:// or https:// URL with a host")
        try:
            origin = origin_of(base_url.strip())
        except UnsafeURLError as exc:
            raise BadRequestError(400, f"Invalid base_url: {exc}") from None
        if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 20:
            raise BadRequestError(400, f"Invalid retries: expected an integer from 0 to 20, got {retries!r}")
        if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) or not 0 <= backoff <= 60:
            raise BadRequestError(400, f"Invalid backoff: expected 0 to 60 seconds, got {backoff!r}")
        self.base_url = base_url.strip().rstrip("/")
        self.timeout = normalize_timeout(timeout)
        self.retries = retries
        self.backoff = float(backoff)
        self.max_retry_after = float(max_retry_after)
        self.event_hook = event_hook
        self._pool_maxsize = pool_maxsize
        self._origin: Origin = origin
        self._session = session
        self._owns_session = session is None
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={redact_url(self.base_url)!r}, timeout={self.timeout!r})"

    def __enter__(self: _ClientT) -> _ClientT:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        # Sessions and locks do not pickle; a copy (e.g. shipped to a Ray worker) opens its own session on first use.
        state = self.__dict__.copy()
        state["_session"] = None
        state["_owns_session"] = True
        state["_lock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the pooled connections of the session this client created (a session passed in is left open).

        The client stays usable: a later request opens a new session.

        Example:
            >>> client = BaseClient("http://127.0.0.1:8265")
            >>> client.close()
        """
        with self._lock:
            session, self._session = self._session, None
            owned = self._owns_session
            self._owns_session = True
        if session is not None and owned:
            session.close()

    @property
    def session(self) -> requests.Session:
        """The ``requests.Session`` used for every call, created (pooled, no transport retries) on first use.

        Example:
            >>> with BaseClient("http://127.0.0.1:8265") as client:
            ...     type(client.session).__name__
            'Session'
        """
        session = self._session
        if session is not None:
            return session
        with self._lock:
            if self._session is None:
                import requests  # imported on first use: keeps `import synapse_client` cheap
                from requests.adapters import HTTPAdapter

                session = requests.Session()
                adapter = HTTPAdapter(pool_connections=4, pool_maxsize=self._pool_maxsize, max_retries=0)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                self._session = session
                self._owns_session = True
            return self._session

    # -- hooks for subclasses ----------------------------------------------------------------------------------------

    def _get_headers(self) -> dict[str, str]:
        """Return the auth headers sent with every request to ``base_url``'s origin; override in subclasses.

        Returns:
            Header names and values; the base client sends none.

        Example:
            >>> BaseClient("http://127.0.0.1:8265")._get_headers()
            {}
        """
        return {}

    def _url(self, path: str) -> str:
        """Return the absolute URL for ``path``.

        Args:
            path: A path relative to ``base_url`` (a leading ``/`` is ignored), or an absolute http(s) URL.

        Returns:
            The URL.

        Raises:
            BadRequestError: (400) for an absolute URL with a scheme other than http or https.

        Example:
            >>> client = BaseClient("http://127.0.0.1:8265/")
            >>> client._url("/api/jobs/")
            'http://127.0.0.1:8265/api/jobs/'
            >>> client._url("http://other:80/x")
            'http://other:80/x'
        """
        if "://" in path.split("?", 1)[0]:
            scheme = path.split("://", 1)[0].lower()
            if scheme not in ("http", "https"):
                raise BadRequestError(400, f"Invalid URL scheme {redact_text(scheme[:20])!r}: expected http or https")
            return path
        return f"{self.base_url}/{path.lstrip('/')}"

    def _is_own_origin(self, url: str) -> bool:
        """Tell whether ``url`` goes to ``base_url``'s origin, as urllib3 reads it; an ambiguous URL never does."""
        try:
            return origin_of(url) == self._origin
        except UnsafeURLError:
            return False

    # -- requests ----------------------------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutType = None,
        stream: bool = False,
        retry: bool | None = None,
    ) -> requests.Response:
        """Send a request with timeouts, retries and typed errors; return the successful response.

        Args:
            method: The HTTP method (any case).
            path: A path relative to ``base_url``, or an absolute URL (auth headers go only to ``base_url``'s origin).
            params: Query parameters.
            json: A JSON body (mutually exclusive with ``data``/``files``).
            data: A form or raw body (dict, bytes, str or a file object).
            files: Multipart files, as accepted by ``requests`` (``{"file": ("a.txt", fileobj, "text/plain")}``).
            headers: Extra headers for this call; they override the client's.
            timeout: This call's timeout (seconds or ``(connect, read)``); None uses the client's.
            stream: Return before reading the body (the caller must close the response, e.g. ``with``).
            retry: Force retrying on (``True``, even for POST/PATCH) or off (``False``); None retries idempotent
                methods.

        Returns:
            The 2xx ``requests.Response``.

        Raises:
            ClientTimeoutError: (408) on a connect or read timeout.
            ServiceUnavailableError: (503) when the server cannot be reached (refused, reset, DNS) after the retries,
                or it answered 503.
            ClientError: The subclass matching the status for any non-2xx response, with the server's body.

        Example:
            >>> client = BaseClient("http://127.0.0.1:9", retries=0)  # nothing listens on port 9
            >>> client._request("GET", "health")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            synapse_client.errors.ServiceUnavailableError: 503: Cannot connect to the server ... (GET http://127.0.0.1:9/health)
        """
        method = method.upper()
        url = self._url(path)
        try:
            origin_of(url)
        except UnsafeURLError as exc:
            raise BadRequestError(400, str(exc), method=method, url=redact_url(url)) from None
        from synapse_fileutils.http.logs import quiet_transport_logs  # logging loads with the first request

        quiet_transport_logs(_secret_values(self._get_headers()))
        call_timeout = self.timeout if timeout is None else normalize_timeout(timeout)
        own_origin = self._is_own_origin(url)
        auth_headers = self._get_headers()
        merged: dict[str, str] = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if own_origin:
            merged.update(auth_headers)
        if headers:
            merged.update(headers)
        secrets = _secret_values(auth_headers, headers)

        may_retry = (method in IDEMPOTENT_METHODS) if retry is None else retry
        positions = _body_positions(data, files)
        attempts = 1 + self.retries if may_retry and positions is not None else 1
        safe_url = _scrub(redact_url(_with_query(url, params)), secrets)

        for attempt in range(1, attempts + 1):
            if attempt > 1 and positions:
                _rewind(positions)
            self._emit(HttpEvent("request", method, safe_url, attempt, headers=redact_headers(merged)))
            started = time.monotonic()
            try:
                response = self._send(
                    method=method, url=url, params=params, json=json, data=data, files=files, headers=merged,
                    caller_given=[*auth_headers, *(headers or {})], timeout=call_timeout, stream=stream,
                )  # fmt: skip
            except Exception as exc:  # mapped to typed errors below; anything unknown is re-raised
                error, retryable = _transport_error(exc, method, safe_url, call_timeout, secrets)
                if error is None:
                    raise
                self._emit(HttpEvent("error", method, safe_url, attempt, detail=str(error.reason)))
                if retryable and attempt < attempts:
                    self._wait(method, safe_url, attempt, backoff_delay(attempt, self.backoff), str(error.reason))
                    continue
                raise error from None
            elapsed = time.monotonic() - started
            status = response.status_code
            self._emit(HttpEvent("response", method, safe_url, attempt, status=status, elapsed=elapsed))
            if 200 <= status < 300:
                return response
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            delay = self._retry_delay(status, retry_after, attempt) if attempt < attempts else None
            if delay is not None:
                response.close()
                self._wait(method, safe_url, attempt, delay, f"HTTP {status}")
                continue
            raise self._error_from_response(response, method, safe_url, retry_after, secrets)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _send(
        self,
        *,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Any,
        files: Any,
        headers: dict[str, str],
        caller_given: list[str],
        timeout: tuple[float, float],
        stream: bool,
    ) -> requests.Response:
        """Send one attempt, following redirects ourselves so caller-given headers never leave their origin.

        Every hop is checked by :func:`~synapse_fileutils.http.next_hop` (http(s) only, no URL the parsers read
        differently); off ``base_url``'s origin, every header the caller or the client's auth supplied is dropped.
        """
        session = self.session
        response = session.request(
            method, url, params=params, json=json, data=data, files=files, headers=headers,
            timeout=timeout, stream=stream, allow_redirects=False,
        )  # fmt: skip
        for _ in range(MAX_REDIRECTS):
            location = response.headers.get("Location")
            if not is_redirect(response.status_code, location):
                return response
            response.close()
            try:
                target, new_method = next_hop(response.url, response.status_code, str(location), method)
            except RedirectError as exc:
                raise BadRequestError(400, f"Redirect refused: {exc.reason}", method=method, url=url) from None
            if new_method != method:
                method, json, data, files = new_method, None, None, None
            headers = headers_for(target, self._origin, headers, caller_given)
            response = session.request(
                method, target, json=json, data=data, files=files, headers=headers,
                timeout=timeout, stream=stream, allow_redirects=False,
            )  # fmt: skip
        if is_redirect(response.status_code, response.headers.get("Location")):
            response.close()
            raise InvalidResponseError(502, f"More than {MAX_REDIRECTS} redirects", method=method, url=url)
        return response

    def _retry_delay(self, status: int, retry_after: float | None, attempt: int) -> float | None:
        """Seconds to wait before retrying a response with ``status``, or None to not retry it."""
        if status not in UNPROCESSED_STATUSES:
            return None
        if retry_after is None:
            return backoff_delay(attempt, self.backoff)
        if retry_after <= self.max_retry_after:
            return retry_after
        return None  # the server asks for longer than we wait: let the caller decide

    def _wait(self, method: str, url: str, attempt: int, delay: float, reason: str) -> None:
        self._emit(HttpEvent("retry", method, url, attempt, delay=delay, detail=reason))
        if delay > 0:
            time.sleep(delay)

    def _emit(self, event: HttpEvent) -> None:
        import logging  # imported on first use, like requests (which imports it anyway)

        from synapse_fileutils.logs import get_logger

        logger = get_logger(LOGGER_NAME)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s", _format_event(event))
        if self.event_hook is not None:
            self.event_hook(event)

    def _error_from_response(
        self,
        response: requests.Response,
        method: str,
        url: str,
        retry_after: float | None,
        secrets: list[str],
    ) -> ClientError:
        import json as jsonlib

        status = response.status_code
        try:
            raw = _read_limited(response, _ERROR_BODY_LIMIT)
        except Exception:  # a body that cannot be read still leaves a useful error
            raw = b""
        finally:
            response.close()
        text = _scrub(raw.decode(response.encoding or "utf-8", "replace"), secrets)
        body: Any = None
        reason: Any = response.reason or f"HTTP {status}"
        if text.strip():
            try:
                body = jsonlib.loads(text)
            except (ValueError, RecursionError):  # not JSON, or nested too deeply to parse: keep it as text
                body = truncate(text, _ERROR_TEXT_LIMIT)
                reason = truncate(text.strip(), 500)
            else:
                reason = _reason_from_json(body, reason)
        return error_for_status(status, reason, body=body, method=method, url=url, retry_after=retry_after)

    @staticmethod
    def _decode(response: requests.Response, method: str, url: str) -> Any:
        """Parse a successful response: JSON, None for an empty body, text for a ``text/*`` body."""
        import json as jsonlib

        content = response.content
        if not content or not content.strip():
            return None
        content_type = response.headers.get("Content-Type", "").lower()
        try:
            return jsonlib.loads(content)
        except RecursionError:
            raise InvalidResponseError(
                502,
                f"JSON in a {response.status_code} response is nested too deeply to parse ({len(content)} bytes)",
                method=method,
                url=url,
            ) from None
        except ValueError:
            if content_type.startswith("text/") and "json" not in content_type:
                return response.text
            raise InvalidResponseError(
                502,
                f"Invalid JSON in a {response.status_code} response (truncated or malformed, {len(content)} bytes)",
                body=truncate(content[:_ERROR_BODY_LIMIT].decode("utf-8", "replace"), _ERROR_TEXT_LIMIT),
                method=method,
                url=url,
            ) from None

    def _call_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        with response:
            secrets = _secret_values(self._get_headers(), kwargs.get("headers"))
            safe_url = _scrub(redact_url(response.url or self._url(path)), secrets)
            try:
                return self._decode(response, method, safe_url)
            except ClientError:
                raise
            except Exception as exc:  # a streamed body cut off while reading is a transport failure
                timeout = normalize_timeout(kwargs.get("timeout"), self.timeout)
                error, _ = _transport_error(exc, method, safe_url, timeout, secrets)
                if error is None:
                    raise
                raise error from None

    def _get(self, path: str, **kwargs: Any) -> Any:
        """GET ``path`` and return the parsed JSON body.

        Args:
            path: A path relative to ``base_url``, or an absolute URL.
            **kwargs: Passed to [`_request`][synapse_client.base.BaseClient._request] (``params``, ``timeout``...).

        Returns:
            The parsed JSON, None for an empty body, or the text of a ``text/*`` body.

        Raises:
            InvalidResponseError: (502) if a 2xx body is not valid JSON (for example truncated).
            ClientError: As [`_request`][synapse_client.base.BaseClient._request] raises.

        Example:
            >>> BaseClient("http://127.0.0.1:9", retries=0)._get("jobs/")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            synapse_client.errors.ServiceUnavailableError: 503: ...
        """
        return self._call_json("GET", path, **kwargs)

    def _post(self, path: str, **kwargs: Any) -> Any:
        """POST to ``path`` (not retried unless ``retry=True``) and return the parsed JSON body.

        Args:
            path: A path relative to ``base_url``, or an absolute URL.
            **kwargs: Passed to [`_request`][synapse_client.base.BaseClient._request] (``json``, ``data``,
                ``files``...).

        Returns:
            The parsed JSON, or None for an empty body.

        Example:
            >>> BaseClient("http://127.0.0.1:9", retries=0)._post("jobs/", json={"a": 1})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            synapse_client.errors.ServiceUnavailableError: 503: ...
        """
        return self._call_json("POST", path, **kwargs)

    def _put(self, path: str, **kwargs: Any) -> Any:
        """PUT to ``path`` and return the parsed JSON body.

        Args:
            path: A path relative to ``base_url``, or an absolute URL.
            **kwargs: Passed to [`_request`][synapse_client.base.BaseClient._request].

        Returns:
            The parsed JSON, or None for an empty body.

        Example:
            >>> BaseClient("http://127.0.0.1:9", retries=0)._put("jobs/1/", json={})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            synapse_client.errors.ServiceUnavailableError: 503: ...
        """
        return self._call_json("PUT", path, **kwargs)

    def _patch(self, path: str, **kwargs: Any) -> Any:
        """PATCH ``path`` (not retried unless ``retry=True``) and return the parsed JSON body.

        Args:
            path: A path relative to ``base_url``, or an absolute URL.
            **kwargs: Passed to [`_request`][synapse_client.base.BaseClient._request].

        Returns:
            The parsed JSON, or None for an empty body.

        Example:
            >>> BaseClient("http://127.0.0.1:9", retries=0)._patch("jobs/1/", json={})  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            synapse_client.errors.ServiceUnavailableError: 503: ...
        """
        return self._call_json("PATCH", path, **kwargs)

    def _delete(self, path: str, **kwargs: Any) -> Any:
        """DELETE ``path`` and return the parsed JSON body.

        Args:
            path: A path relative to ``base_url``, or an absolute URL.
            **kwargs: Passed to [`_request`][synapse_client.base.BaseClient._request].

        Returns:
            The parsed JSON, or None for an empty body (such as 204).

        Example:
            >>> BaseClient("http://127.0.0.1:9", retries=0)._delete("jobs/1/")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            synapse_client.errors.ServiceUnavailableError: 503: ...
        """
        return self._call_json("DELETE", path, **kwargs)

    def _list(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        list_all: bool = False,
        page_size: int | None = None,
    ) -> Any:
        """List a DRF-paginated collection.

        Args:
            path: The collection's path (or absolute URL).
            params: Query parameters (filters) for the first page; later pages follow the server's ``next`` URL.
            list_all: Return a lazy iterator over every item of every page instead of the first page.
            page_size: Sent as the ``page_size`` query parameter when given.

        Returns:
            With ``list_all=False``, the first page as the server sent it (``{"count", "next", "previous",
            "results"}``). With ``list_all=True``, a [`PageIterator`][synapse_client.pagination.PageIterator] that
            fetches each page once, when iteration reaches it, and exposes ``.count``.

        Raises:
            BadRequestError: (400) if ``page_size`` is not a positive integer.
            ClientError: As [`_request`][synapse_client.base.BaseClient._request] raises (for the iterator, while
                iterating).

        Example:
            >>> pages = BaseClient("http://127.0.0.1:9")._list("jobs/", list_all=True, page_size=50)
            >>> type(pages).__name__  # nothing is fetched until iteration starts
            'PageIterator'
        """
        query = dict(params or {})
        if page_size is not None:
            if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size <= 0:
                raise BadRequestError(400, f"Invalid page_size: expected a positive integer, got {page_size!r}")
            query["page_size"] = page_size
        if list_all:
            return PageIterator(self, path, query)
        return self._get(path, params=query)


# -- helpers ---------------------------------------------------------------------------------------------------------


def _with_query(url: str, params: Mapping[str, Any] | None) -> str:
    """The URL with ``params`` appended, as requests will send it (for logs and errors only)."""
    if not params:
        return url
    query = urlencode([(k, v) for k, v in params.items() if v is not None], doseq=True)
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _secret_values(*header_maps: Mapping[str, str] | None) -> list[str]:
    """The credentials inside auth headers (scheme stripped), to scrub them even where no pattern would find them."""
    values: list[str] = []
    for headers in header_maps:
        for key, value in (headers or {}).items():
            if not isinstance(value, str) or redact_headers({key: value})[key] != REDACTED:
                continue
            credential = value.split(None, 1)[-1] if " " in value.strip() else value.strip()
            if len(credential) >= 4:
                values.append(credential)
    return sorted(set(values), key=len, reverse=True)


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _body_positions(data: Any, files: Any) -> list[tuple[Any, int]] | None:
    """Positions of the file objects in a body, to rewind before a retry; None if the body cannot be resent."""
    candidates: list[Any] = []
    if data is not None and not isinstance(data, (bytes, bytearray, str, dict, list, tuple)):
        candidates.append(data)
    if files:
        items = files.values() if isinstance(files, Mapping) else [item[1] for item in files]
        for item in items:
            candidates.append(item[1] if isinstance(item, (tuple, list)) and len(item) > 1 else item)
    positions: list[tuple[Any, int]] = []
    for obj in candidates:
        if isinstance(obj, (bytes, bytearray, str)):
            continue
        if not hasattr(obj, "read"):
            return None  # a generator or iterator: consumed by the first attempt
        try:
            positions.append((obj, obj.tell()))
        except (AttributeError, OSError, ValueError):
            return None
    return positions


def _rewind(positions: list[tuple[Any, int]]) -> None:
    for obj, position in positions:
        obj.seek(position)


def _read_limited(response: requests.Response, limit: int) -> bytes:
    if response.raw is None or getattr(response, "_content_consumed", False):
        return response.content[:limit]
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(8192):
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


def _reason_from_json(body: Any, default: Any) -> Any:
    if isinstance(body, dict):
        for key in ("detail", "message", "error", "msg"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return default


def _transport_error(
    exc: BaseException, method: str, url: str, timeout: tuple[float, float], secrets: list[str]
) -> tuple[ClientError | None, bool]:
    """Map a ``requests`` transport exception to a typed error, and say whether a retry may help."""
    import requests.exceptions as rex

    detail = truncate(_scrub(redact_text(str(exc)), secrets), 300)
    if isinstance(exc, rex.ConnectTimeout):
        return ClientTimeoutError(408, f"Timed out connecting after {timeout[0]:g} s", method=method, url=url), True
    if isinstance(exc, rex.ReadTimeout) or _is_read_timeout(exc):
        return ClientTimeoutError(408, f"No response within {timeout[1]:g} s", method=method, url=url), False
    if isinstance(exc, rex.InvalidURL | rex.MissingSchema | rex.InvalidSchema | rex.InvalidHeader):
        return BadRequestError(400, f"Invalid request: {detail}", method=method, url=url), False
    if isinstance(exc, rex.ConnectionError | rex.ChunkedEncodingError | rex.ContentDecodingError):
        cause = _os_error_text(exc) or type(exc).__name__
        reason = f"Cannot connect to the server ({cause})"
        if _is_reset(exc):
            reason = f"Connection lost while talking to the server ({cause})"
        return ServiceUnavailableError(503, reason, body=detail, method=method, url=url), True
    if isinstance(exc, rex.RequestException):
        return ServerError(500, f"Unexpected transport error: {detail}", method=method, url=url), False
    return None, False


def _os_error_text(exc: BaseException) -> str | None:
    """The operating system's words for the root failure ("Connection refused", "Name or service not known")."""
    for cause in walk_causes(exc):
        if isinstance(cause, OSError) and cause.strerror:
            return str(cause.strerror)
    return None


def _is_read_timeout(exc: BaseException) -> bool:
    # requests raises ConnectionError (not ReadTimeout) when the read timeout hits while reading the body.
    from urllib3.exceptions import ReadTimeoutError

    return any(isinstance(cause, ReadTimeoutError | TimeoutError) for cause in walk_causes(exc))


def _is_reset(exc: BaseException) -> bool:
    from http.client import IncompleteRead, RemoteDisconnected

    from urllib3.exceptions import ProtocolError

    lost = (
        ConnectionResetError,
        ConnectionAbortedError,
        BrokenPipeError,
        RemoteDisconnected,
        IncompleteRead,
        ProtocolError,
    )
    return any(isinstance(cause, lost) for cause in walk_causes(exc))


def _format_event(event: HttpEvent) -> str:
    if event.kind == "request":
        return f"-> {event.method} {event.url} (attempt {event.attempt}) headers={dict(event.headers)}"
    if event.kind == "response":
        elapsed = f" in {event.elapsed * 1000:.0f} ms" if event.elapsed is not None else ""
        return f"<- {event.status} {event.method} {event.url}{elapsed}"
    if event.kind == "retry":
        delay = event.delay or 0.0
        return f"retry {event.method} {event.url} in {delay:.2f} s after attempt {event.attempt}: {event.detail}"
    return f"!! {event.method} {event.url} (attempt {event.attempt}): {event.detail}"
