"""The ``User-Agent`` every Synapse package sends, defined once: the SDK's name and version.

The three packages are released together at one version (their pins say so), so one string names them all: the
downloads' sessions, the HTTP storage provider and the platform clients all send it.

Example:
    >>> from synapse_fileutils.http import USER_AGENT
    >>> USER_AGENT.startswith("synapse-sdk/")
    True
"""

from __future__ import annotations

from ..__about__ import __version__

__all__ = ["USER_AGENT"]

#: The ``User-Agent`` header value of every request the SDK makes: ``synapse-sdk/<version>``.
USER_AGENT = f"synapse-sdk/{__version__}"
