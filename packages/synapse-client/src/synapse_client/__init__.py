"""HTTP clients for the Synapse platform.

The package root re-exports the public names, so ``from synapse_client import BaseClient, NotFoundError`` works; the
documented submodules (``synapse_client.errors``, ``synapse_client.network``, ``synapse_client.base``) stay importable.
Importing the package does not import ``requests``: that happens on the first request.

Example:
    >>> import synapse_client
    >>> synapse_client.ClientError(503, "unreachable").status
    503
"""

from __future__ import annotations

from .__about__ import __version__
from .base import DEFAULT_TIMEOUT, BaseClient, HttpEvent
from .errors import (
    AuthenticationError,
    BadRequestError,
    ClientError,
    ClientTimeoutError,
    ConflictError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    error_for_status,
)
from .network import (
    StreamBudget,
    StreamLimits,
    http_to_websocket_url,
    sanitize_error_message,
    validate_resource_id,
    validate_timeout,
)
from .pagination import PageIterator

__all__ = [
    "DEFAULT_TIMEOUT",
    "AuthenticationError",
    "BadRequestError",
    "BaseClient",
    "ClientError",
    "ClientTimeoutError",
    "ConflictError",
    "HttpEvent",
    "InvalidResponseError",
    "NotFoundError",
    "PageIterator",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "ServiceUnavailableError",
    "StreamBudget",
    "StreamLimits",
    "__version__",
    "error_for_status",
    "http_to_websocket_url",
    "sanitize_error_message",
    "validate_resource_id",
    "validate_timeout",
]
