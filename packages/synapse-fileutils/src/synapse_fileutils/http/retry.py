"""Retry policy: which requests may be retried, on which statuses, how long to wait, and ``Retry-After`` parsing.

Two status sets, named by intent: :data:`UNPROCESSED_STATUSES` for API calls (the server turned the request away
before it ran, so another try repeats nothing) and :data:`TRANSIENT_STATUSES` for file transfers, where a ``500`` or a
``408`` from a file server is worth another try. Where urllib3 does the retrying (HTTP storage),
:func:`urllib3_retry` builds its :class:`~urllib3.util.Retry` from the same rules.

Example:
    >>> parse_retry_after("3")
    3.0
    >>> is_retryable_method("POST"), is_retryable_method("GET")
    (False, True)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_BACKOFF",
    "MAX_RETRY_AFTER",
    "REDIRECT_STATUSES",
    "TRANSIENT_STATUSES",
    "UNPROCESSED_STATUSES",
    "backoff_delay",
    "is_retryable_method",
    "parse_retry_after",
    "urllib3_retry",
]

#: Methods that may be sent twice without changing the outcome (RFC 9110, section 9.2.2), so they are retried.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: Statuses of a request the server turned away before running it: rate limited, bad gateway, unavailable, gateway
#: timeout. API calls are retried on these only (a ``500`` from an API usually fails again the same way).
UNPROCESSED_STATUSES = frozenset({429, 502, 503, 504})
#: Statuses worth another try when moving a file: the unprocessed ones plus request timeout, too early and ``500``.
TRANSIENT_STATUSES = UNPROCESSED_STATUSES | {408, 425, 500}
#: Statuses that redirect to ``Location``.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Longest backoff between two attempts, in seconds.
MAX_BACKOFF = 30.0
#: Longest ``Retry-After`` honoured by :func:`urllib3_retry`, in seconds, unless told otherwise.
MAX_RETRY_AFTER = 60.0


def is_retryable_method(method: str) -> bool:
    """Tell whether requests with ``method`` are retried by default.

    Args:
        method: An HTTP method, in any case.

    Returns:
        True for GET, HEAD, PUT, DELETE and OPTIONS.

    Example:
        >>> is_retryable_method("delete")
        True
    """
    return method.upper() in IDEMPOTENT_METHODS


def backoff_delay(attempt: int, backoff: float, cap: float = MAX_BACKOFF) -> float:
    """Return the wait before retry number ``attempt``: exponential backoff with "equal jitter".

    The base delay is ``backoff * 2 ** (attempt - 1)`` capped at ``cap``; the result is uniformly drawn between half
    the base and the base, so clients that failed together do not retry together.

    Args:
        attempt: The retry number, starting at 1.
        backoff: The first base delay, in seconds (0 disables waiting).
        cap: The largest base delay, in seconds.

    Returns:
        The delay in seconds, within ``[base / 2, base]``.

    Example:
        >>> 0.25 <= backoff_delay(1, 0.5) <= 0.5
        True
        >>> backoff_delay(3, 0.0)
        0.0
    """
    base = min(cap, backoff * (2.0 ** max(attempt - 1, 0)))
    if base <= 0:
        return 0.0
    import random  # imported on first retry: keeps `import synapse_client` cheap

    return base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter needs no cryptographic randomness


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header: delay-seconds or an HTTP date.

    Args:
        value: The header value, or None when absent.
        now: The current time for HTTP dates (default: the system clock, UTC).

    Returns:
        Seconds to wait (0 for a date in the past), or None when the value is absent or not understood.

    Example:
        >>> parse_retry_after("120")
        120.0
        >>> from datetime import datetime, timezone
        >>> parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now=datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc))
        5.0
        >>> parse_retry_after("soon") is None
        True
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        seconds = float(value)  # not in the RFC, but some servers send "1.5"
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    from datetime import datetime, timezone  # imported here: HTTP dates are rare, and these imports are not free
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now if now is not None else datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


def urllib3_retry(
    retries: int,
    *,
    backoff: float = 0.5,
    statuses: Iterable[int] = TRANSIENT_STATUSES,
    methods: Iterable[str] = IDEMPOTENT_METHODS,
    max_retry_after: float = MAX_RETRY_AFTER,
) -> Any:
    """Build a :class:`urllib3.util.Retry` that follows these rules, for a ``requests`` adapter.

    It retries connection failures and ``statuses`` for ``methods`` with exponential backoff (``backoff``, doubling,
    at most :data:`MAX_BACKOFF`), honours ``Retry-After`` up to ``max_retry_after`` seconds, follows no redirects of
    its own, and hands the last response back instead of raising ``MaxRetryError`` for a status.

    Args:
        retries: Retries after the first attempt (0 disables retrying).
        backoff: First backoff, in seconds.
        statuses: Statuses to retry.
        methods: Methods to retry (idempotent ones by default).
        max_retry_after: Longest ``Retry-After`` waited for, in seconds.

    Returns:
        The ``Retry`` object.

    Example:
        >>> retry = urllib3_retry(2)
        >>> retry.total, 503 in retry.status_forcelist, retry.allowed_methods >= {"GET", "PUT"}
        (2, True, True)
    """
    from ._urllib3 import CappedRetry

    retries = max(0, int(retries))
    return CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=False,
        backoff_factor=backoff,
        backoff_max=MAX_BACKOFF,
        status_forcelist=frozenset(statuses),
        allowed_methods=frozenset(m.upper() for m in methods),
        respect_retry_after_header=True,
        raise_on_status=False,
        raise_on_redirect=False,
        max_retry_after=max_retry_after,
    )
