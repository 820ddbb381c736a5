"""HTTP clients for the Synapse platform.

The package root re-exports the public names, so ``from synapse_client import BaseClient, NotFoundError`` works; the
documented submodules (``synapse_client.errors``, ``synapse_client.network``, ``synapse_client.base``) stay importable.
Importing the package does not import ``requests``: that happens on the first request. The service clients
(``RayClient``, ``AgentClient``, ``BackendClient``) load on first use.

Example:
    >>> import synapse_client
    >>> synapse_client.ClientError(503, "unreachable").status
    503
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from synapse_fileutils.lazy import lazy_exports

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

if TYPE_CHECKING:
    from .agent import AgentClient
    from .backend import BackendClient, FileChangedError
    from .ray import JobDetails, JobStatus, RayClient

# The service clients load on first use (PEP 562), so importing the package stays cheap.
_LAZY = {
    "RayClient": "ray",
    "JobStatus": "ray",
    "JobDetails": "ray",
    "AgentClient": "agent",
    "BackendClient": "backend",
    "FileChangedError": "backend",
}

__all__ = [
    "DEFAULT_TIMEOUT",
    "AgentClient",
    "AuthenticationError",
    "BackendClient",
    "BadRequestError",
    "BaseClient",
    "ClientError",
    "ClientTimeoutError",
    "ConflictError",
    "FileChangedError",
    "HttpEvent",
    "InvalidResponseError",
    "JobDetails",
    "JobStatus",
    "NotFoundError",
    "PageIterator",
    "PermissionDeniedError",
    "RateLimitError",
    "RayClient",
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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
