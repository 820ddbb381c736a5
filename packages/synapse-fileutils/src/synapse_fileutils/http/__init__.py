"""The HTTP policy every Synapse package follows, defined once: redaction, retries, origins and transport logs.

Each rule lives in one submodule and is imported from here by the downloads, the storage providers, the clients and
the plugin types, so they behave alike:

- :mod:`~synapse_fileutils.http.redact`: secrets out of URLs, text, headers and JSON (:func:`redact_url` has one
  behaviour and never raises);
- :mod:`~synapse_fileutils.http.retry`: which statuses and methods are retried (:data:`TRANSIENT_STATUSES`,
  :data:`UNPROCESSED_STATUSES`, :data:`IDEMPOTENT_METHODS`), ``Retry-After``, backoff, and a ready urllib3 ``Retry``;
- :mod:`~synapse_fileutils.http.origin`: "same origin" decided with the transport's own URL parser, refusing URLs the
  parsers read differently, and stripping caller-given headers off-origin;
- :mod:`~synapse_fileutils.http.redirects`: redirects followed one checked hop at a time (:func:`next_hop`);
- :mod:`~synapse_fileutils.http.causes`: the root failure inside a transport exception (:func:`describe_cause`);
- :mod:`~synapse_fileutils.http.logs`: the transport libraries' loggers, filtered so their request lines carry no
  secrets;
- :mod:`~synapse_fileutils.http.agent`: the ``User-Agent`` every request sends (:data:`USER_AGENT`).

Importing this package is cheap: urllib3 loads only when a function needs it.

Example:
    >>> from synapse_fileutils.http import redact_url, same_origin
    >>> redact_url("https://bob:pw@s3.example.com/a.pt?X-Amz-Signature=abc&v=1")
    'https://***@s3.example.com/a.pt?X-Amz-Signature=***&v=***'
    >>> same_origin("https://h/a", "https://H:443/b")
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from .agent import USER_AGENT
from .causes import describe_cause, walk_causes
from .origin import Origin, UnsafeURLError, headers_for, origin_of, same_origin
from .redact import (
    MAX_MESSAGE_LENGTH,
    REDACTED,
    is_sensitive_key,
    redact_headers,
    redact_json,
    redact_text,
    redact_url,
    truncate,
    url_secrets,
)
from .redirects import MAX_REDIRECTS, RedirectError, is_redirect, next_hop
from .retry import (
    IDEMPOTENT_METHODS,
    MAX_BACKOFF,
    MAX_RETRY_AFTER,
    REDIRECT_STATUSES,
    TRANSIENT_STATUSES,
    UNPROCESSED_STATUSES,
    backoff_delay,
    is_retryable_method,
    parse_retry_after,
    urllib3_retry,
)

if TYPE_CHECKING:
    from .logs import quiet_transport_logs

__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_BACKOFF",
    "MAX_MESSAGE_LENGTH",
    "MAX_REDIRECTS",
    "MAX_RETRY_AFTER",
    "REDACTED",
    "REDIRECT_STATUSES",
    "TRANSIENT_STATUSES",
    "UNPROCESSED_STATUSES",
    "USER_AGENT",
    "Origin",
    "RedirectError",
    "UnsafeURLError",
    "backoff_delay",
    "describe_cause",
    "headers_for",
    "is_redirect",
    "is_retryable_method",
    "is_sensitive_key",
    "next_hop",
    "origin_of",
    "parse_retry_after",
    "quiet_transport_logs",
    "redact_headers",
    "redact_json",
    "redact_text",
    "redact_url",
    "same_origin",
    "truncate",
    "url_secrets",
    "urllib3_retry",
    "walk_causes",
]

# logging loads only when the filter is installed (the first request): keeps importing the clients cheap.
__getattr__, __dir__ = lazy_exports(__name__, {"quiet_transport_logs": "logs"})
