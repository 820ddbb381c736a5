"""HTTP clients for the Synapse platform.

Example:
    >>> import synapse_client
    >>> synapse_client.ClientError(503, "unreachable").status
    503
"""

from __future__ import annotations

from .__about__ import __version__
from .errors import ClientError

__all__ = ["ClientError", "__version__"]
