"""Keep secrets out of the transport libraries' own log lines.

urllib3 logs every request at DEBUG as ``"GET /a.pt?X-Amz-Signature=... HTTP/1.1" 200``; a URL path may also hold a
token (``agents/<token>/connect/``). :func:`quiet_transport_logs` puts a filter on urllib3's loggers that redacts those
lines (query values, credentials, key=value secrets, and any literal secret registered with it). The Synapse packages
call it before their first request, so an application that turns on DEBUG logging sees the request lines redacted.

Example:
    >>> import logging
    >>> quiet_transport_logs(["agent-secret-token"])
    >>> record = logging.LogRecord(
    ...     "urllib3.connectionpool",
    ...     logging.DEBUG,
    ...     "",
    ...     0,
    ...     '%s://%s:%s "%s %s %s" %s',
    ...     ("http", "h", 80, "GET", "/agents/agent-secret-token/?sig=1", "HTTP/1.1", 200),
    ...     None,
    ... )
    >>> _ = logging.getLogger("urllib3.connectionpool").filters[0].filter(record)
    >>> record.getMessage()
    'http://h:80 "GET /agents/***/?sig=*** HTTP/1.1" 200'
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

from .redact import redact_text, redact_url

__all__ = ["TRANSPORT_LOGGERS", "RedactingFilter", "quiet_transport_logs"]

#: Loggers of the transport libraries whose messages quote request lines or URLs.
TRANSPORT_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "urllib3.poolmanager", "aiohttp.client")


# The request line urllib3 logs: "GET /path?query HTTP/1.1".
_REQUEST_LINE = re.compile(r'"([A-Z]{3,10}) (\S+) (HTTP/[0-9.]+)"')


class RedactingFilter(logging.Filter):
    """A logging filter that redacts a record's message (and drops its arguments) before any handler sees it."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add_secrets(self, secrets: Iterable[str | None]) -> None:
        """Also replace these literal values (tokens put in URL paths, for example); short values are ignored."""
        with self._lock:
            self._secrets.update(s for s in secrets if isinstance(s, str) and len(s) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; always let it through."""
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot format itself is shown by type only
            message = f"<unformattable log record from {record.name}>"
        with self._lock:
            secrets = list(self._secrets)
        message = _REQUEST_LINE.sub(lambda m: f'"{m.group(1)} {redact_url(m.group(2))} {m.group(3)}"', message)
        record.msg = redact_text(message, secrets)
        record.args = None
        return True


_FILTER = RedactingFilter()
_install_lock = threading.Lock()
_installed: list[bool] = []  # non-empty once the filter is on the transport loggers


def quiet_transport_logs(secrets: Iterable[str | None] = ()) -> None:
    """Install the redacting filter on the transport loggers (once), and register extra literal secrets.

    Safe to call many times and from many threads. Records below the loggers' level cost nothing, since filters run
    only for records that are emitted.

    Args:
        secrets: Literal values to hide wherever they appear in a transport log line.

    Example:
        >>> quiet_transport_logs()
        >>> any(isinstance(f, RedactingFilter) for f in logging.getLogger("urllib3.connectionpool").filters)
        True
    """
    _FILTER.add_secrets(secrets)
    if _installed:
        return
    with _install_lock:
        if not _installed:
            for name in TRANSPORT_LOGGERS:
                logging.getLogger(name).addFilter(_FILTER)
            _installed.append(True)
