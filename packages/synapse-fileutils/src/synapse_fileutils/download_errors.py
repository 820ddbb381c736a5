"""The download errors under their earlier import path; they are defined in :mod:`synapse_fileutils.download.errors`.

Example:
    >>> from synapse_fileutils.download_errors import DownloadError
    >>> DownloadError.__module__
    'synapse_fileutils.download.errors'
"""

from __future__ import annotations

from .download.errors import ChecksumMismatchError, DownloadError, DownloadInProgressError, DownloadTooLargeError
from .http.redact import redact_url

__all__ = ["ChecksumMismatchError", "DownloadError", "DownloadInProgressError", "DownloadTooLargeError", "redact_url"]
