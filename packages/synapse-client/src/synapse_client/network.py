"""Network utilities: stream limits, input validation, error sanitizing and WebSocket URLs.

These are the guards the clients put around every call: ids and timeouts are checked before a request is sent (400),
log streams are bounded ([`StreamLimits`][synapse_client.network.StreamLimits], 429 on excess) and error messages are
scrubbed of tokens and credentials before they reach an exception or a log.

Example:
    >>> validate_resource_id("raysubmit_XYZ123", "job")
    'raysubmit_XYZ123'
    >>> validate_timeout(10)
    10.0
    >>> http_to_websocket_url("https://agent.example.com/ray/jobs/1/logs")
    'wss://agent.example.com/ray/jobs/1/logs'
    >>> sanitize_error_message("failed: Authorization: Token 0123456789abcdef", "tail_job_logs")
    'tail_job_logs: failed: Authorization: Token ***'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from synapse_fileutils.http.redact import MAX_MESSAGE_LENGTH, redact_text, truncate

from .errors import BadRequestError, RateLimitError

__all__ = [
    "MAX_RESOURCE_ID_LENGTH",
    "StreamBudget",
    "StreamLimits",
    "http_to_websocket_url",
    "sanitize_error_message",
    "validate_resource_id",
    "validate_timeout",
]

MAX_RESOURCE_ID_LENGTH = 256
"""Longest accepted resource id, in characters."""
# Letters, digits, "_", "-", ".", ":" and "@"; must start with a letter, digit or "_" (so "." and ".." are refused).
_RESOURCE_ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:@-]*")
# Text longer than this is cut before redaction so that scrubbing a huge body stays cheap.
_REDACT_INPUT_CAP = 64 * 1024


@dataclass(frozen=True)
class StreamLimits:
    r"""Bounds for one log stream (WebSocket or HTTP streaming).

    A stream that passes any bound is stopped with [`RateLimitError`][synapse_client.errors.RateLimitError] (429),
    so a runaway job cannot exhaust the client's memory. Exactly ``max_messages`` messages (and so on) are allowed; the
    next one fails.

    Args:
        max_messages: Most messages (WebSocket frames or streamed chunks) per stream.
        max_lines: Most log lines per stream.
        max_bytes: Most bytes per stream (UTF-8 size of text).
        max_message_size: Largest single message, in bytes.

    Raises:
        ValueError: If a bound is not a positive integer.

    Example:
        >>> limits = StreamLimits(max_messages=2)
        >>> budget = limits.budget()
        >>> budget.consume("line 1\n")
        >>> budget.consume("line 2\n")
        >>> budget.consume("line 3\n")
        Traceback (most recent call last):
        ...
        synapse_client.errors.RateLimitError: 429: Stream limit exceeded: more than 2 messages
    """

    max_messages: int = 10_000
    max_lines: int = 50_000
    max_bytes: int = 50 * 1024 * 1024
    max_message_size: int = 10 * 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("max_messages", "max_lines", "max_bytes", "max_message_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"StreamLimits.{name} must be a positive integer, got {value!r}")

    def budget(self) -> StreamBudget:
        """Start counting a new stream against these limits.

        Returns:
            A fresh [`StreamBudget`][synapse_client.network.StreamBudget] with all counters at zero.

        Example:
            >>> StreamLimits().budget().messages
            0
        """
        return StreamBudget(self)


class StreamBudget:
    r"""The running totals of one stream, checked against [`StreamLimits`][synapse_client.network.StreamLimits].

    Not thread-safe: one budget belongs to one consumer of one stream.

    Args:
        limits: The bounds to enforce.

    Attributes:
        messages: Messages consumed so far.
        lines: Lines consumed so far.
        bytes: Bytes consumed so far.

    Example:
        >>> budget = StreamBudget(StreamLimits(max_lines=3))
        >>> budget.consume("a\nb\n")
        >>> (budget.messages, budget.lines, budget.bytes)
        (1, 2, 4)
    """

    __slots__ = ("bytes", "limits", "lines", "messages")

    def __init__(self, limits: StreamLimits) -> None:
        self.limits = limits
        self.messages = 0
        self.lines = 0
        self.bytes = 0

    def __repr__(self) -> str:
        return f"StreamBudget(messages={self.messages}, lines={self.lines}, bytes={self.bytes}, limits={self.limits!r})"

    def consume(self, chunk: str | bytes, lines: int | None = None) -> None:
        r"""Count one message against the limits.

        Args:
            chunk: The message (text is measured by its UTF-8 size).
            lines: How many log lines the message holds; by default, its newlines plus one for an unterminated last
                line (``"a\nb"`` is 2 lines, ``"a\n"`` is 1, ``""`` is 0).

        Raises:
            RateLimitError: (429) if this message is larger than ``max_message_size``, or if counting it passes
                ``max_messages``, ``max_lines`` or ``max_bytes``. The counters are left unchanged then.

        Example:
            >>> budget = StreamLimits(max_message_size=4).budget()
            >>> budget.consume(b"12345")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            synapse_client.errors.RateLimitError: 429: Stream limit exceeded: a message of 5 bytes is larger ...
        """
        limits = self.limits
        if isinstance(chunk, str):
            # ASCII text is as long in UTF-8 as in characters; encode only when it is not.
            size = len(chunk) if chunk.isascii() else len(chunk.encode("utf-8", "surrogatepass"))
            newline: Any = "\n"
        else:
            size = len(chunk)
            newline = b"\n"
        if size > limits.max_message_size:
            raise _stream_limit(f"a message of {size} bytes is larger than {limits.max_message_size} bytes")
        if lines is None:
            lines = chunk.count(newline) + (1 if chunk and not chunk.endswith(newline) else 0)
        if self.messages + 1 > limits.max_messages:
            raise _stream_limit(f"more than {limits.max_messages} messages")
        if self.lines + lines > limits.max_lines:
            raise _stream_limit(f"more than {limits.max_lines} lines")
        if self.bytes + size > limits.max_bytes:
            raise _stream_limit(f"more than {limits.max_bytes} bytes")
        self.messages += 1
        self.lines += lines
        self.bytes += size


def _stream_limit(what: str) -> RateLimitError:
    return RateLimitError(429, f"Stream limit exceeded: {what}")


def validate_resource_id(resource_id: Any, resource_name: str = "resource") -> str:
    """Check an id before it is put into a URL path.

    Accepted: a non-bool ``int`` (>= 0) or a ``str`` of at most
    [`MAX_RESOURCE_ID_LENGTH`][synapse_client.network.MAX_RESOURCE_ID_LENGTH] characters from
    ``A-Z a-z 0-9 _ - . : @``, starting with a letter, digit or ``_``. This refuses empty ids, whitespace, ``/``,
    ``?``, ``#``, ``%`` and ``..``, so an id can never change which endpoint is called.

    Args:
        resource_id: The id to check (job id, node id, task id, application name, pk).
        resource_name: What the id names, used in the error message (``"job"``, ``"node"``...).

    Returns:
        The id as a string.

    Raises:
        BadRequestError: (400) if the id is empty, too long, of the wrong type or has unsafe characters.

    Example:
        >>> validate_resource_id(42, "job")
        '42'
        >>> validate_resource_id("../admin", "job")
        Traceback (most recent call last):
        ...
        synapse_client.errors.BadRequestError: 400: Invalid job ID: use letters, digits, '_', '-', '.', ':', '@'
    """
    if isinstance(resource_id, bool) or not isinstance(resource_id, (int, str)):
        raise BadRequestError(400, f"Invalid {resource_name} ID: expected a string or integer")
    if isinstance(resource_id, int):
        if resource_id < 0:
            raise BadRequestError(400, f"Invalid {resource_name} ID: must not be negative")
        return str(resource_id)
    if not resource_id:
        raise BadRequestError(400, f"Invalid {resource_name} ID: must not be empty")
    if len(resource_id) > MAX_RESOURCE_ID_LENGTH:
        raise BadRequestError(400, f"Invalid {resource_name} ID: longer than {MAX_RESOURCE_ID_LENGTH} characters")
    if _RESOURCE_ID_RE.fullmatch(resource_id) is None:
        raise BadRequestError(400, f"Invalid {resource_name} ID: use letters, digits, '_', '-', '.', ':', '@'")
    return resource_id


def validate_timeout(timeout: Any, max_timeout: float = 300) -> float:
    """Check a timeout given by a caller.

    Args:
        timeout: The timeout in seconds: a finite ``int`` or ``float`` greater than 0 (``bool`` is refused).
        max_timeout: The largest accepted value, in seconds.

    Returns:
        The timeout as a float.

    Raises:
        BadRequestError: (400) if the timeout is not a number, not finite, not positive or above ``max_timeout``.

    Example:
        >>> validate_timeout(2.5)
        2.5
        >>> validate_timeout(0)
        Traceback (most recent call last):
        ...
        synapse_client.errors.BadRequestError: 400: Invalid timeout: must be greater than 0 seconds, got 0
    """
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise BadRequestError(400, f"Invalid timeout: expected a number of seconds, got {type(timeout).__name__}")
    value = float(timeout)
    if not math.isfinite(value):
        raise BadRequestError(400, f"Invalid timeout: must be finite, got {timeout!r}")
    if value <= 0:
        raise BadRequestError(400, f"Invalid timeout: must be greater than 0 seconds, got {timeout!r}")
    if value > max_timeout:
        raise BadRequestError(400, f"Invalid timeout: must be at most {max_timeout:g} seconds, got {timeout!r}")
    return value


def sanitize_error_message(error_msg: str, context: str = "") -> str:
    """Make an error message safe to show or log.

    Redacts ``Token xxx`` / ``Bearer xxx`` credentials, values of ``token=``, ``access_token=``, ``password=`` and
    other secret keys (in query strings, JSON or headers), credentials in URLs (``https://user:pass@host``) and
    presigned query strings (``X-Amz-Signature``, ``X-Amz-Credential``, ...), then truncates the result.

    Args:
        error_msg: The raw message (``str()`` of an exception, a server's error text...). Non-strings are converted.
        context: What was being done (``"tail_job_logs"``); prefixed as ``"context: "`` when given.

    Returns:
        The redacted message, at most about 1000 characters.

    Example:
        >>> sanitize_error_message("GET https://bob:pw@h/x?X-Amz-Signature=abc&a=1 failed")
        'GET https://***@h/x?X-Amz-Signature=***&a=*** failed'
    """
    text = error_msg if isinstance(error_msg, str) else str(error_msg)
    if len(text) > _REDACT_INPUT_CAP:
        text = text[:_REDACT_INPUT_CAP]
    text = redact_text(text)
    if context:
        text = f"{redact_text(context)}: {text}"
    return truncate(text, MAX_MESSAGE_LENGTH)


def http_to_websocket_url(url: str) -> str:
    """Turn an HTTP(S) URL into the matching WebSocket URL.

    Args:
        url: An ``http://`` or ``https://`` URL (``ws://`` and ``wss://`` are returned unchanged).

    Returns:
        The URL with ``http`` replaced by ``ws`` and ``https`` by ``wss``; host, path and query kept.

    Raises:
        BadRequestError: (400) for any other scheme, or a URL without a host.

    Example:
        >>> http_to_websocket_url("http://127.0.0.1:8265/api/jobs/x/logs/tail")
        'ws://127.0.0.1:8265/api/jobs/x/logs/tail'
        >>> http_to_websocket_url("ftp://example.com")
        Traceback (most recent call last):
        ...
        synapse_client.errors.BadRequestError: 400: Invalid URL scheme 'ftp': expected http, https, ws or wss
    """
    if not isinstance(url, str):
        raise BadRequestError(400, f"Invalid URL: expected a string, got {type(url).__name__}")
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise BadRequestError(400, "Invalid URL: missing scheme (expected http:// or https://)")
    mapped = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(scheme.lower())
    if mapped is None:
        raise BadRequestError(400, f"Invalid URL scheme {redact_text(scheme[:20])!r}: expected http, https, ws or wss")
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
    if not host:
        raise BadRequestError(400, "Invalid URL: missing host")
    return f"{mapped}://{rest}"
