"""Download files over HTTP(S): streamed, retried, resumed, verified, cached, and written atomically.

- :func:`download_file` / :func:`adownload_file` download one URL (blocking with a pooled :mod:`requests` session,
  or truly async with :mod:`aiohttp`).
- :func:`files_url_to_path`, :func:`afiles_url_to_path`, :func:`files_url_to_path_from_objs` and
  :func:`afiles_url_to_path_from_objs` replace the URLs inside platform records with local paths, downloading with
  bounded concurrency.

Each download streams the body in chunks to a partial file beside the target (``.<name>.incomplete``), retries
transient failures (5xx, 429 with ``Retry-After``, dropped connections, truncated bodies) with exponential backoff,
resumes after an interruption with ``Range`` + ``If-Range``, optionally checks a checksum, then fsyncs and renames the
partial file onto the target: a file under the final name is always complete. A partial file left by a failed call,
a cancelled task or a killed process is resumed by the next call for the same target (a JSON sidecar records the
URL without its query string and the validator); a lock file serializes the calls that download one target. Files are
cached under a name derived from the URL without its query string (presigned URLs change their query on every
request).

The package is laid out by job, like ``storage`` and ``video``: ``single`` (one file), ``records`` (the
``files_url_to_path`` family, whose shared settings travel as one :class:`BatchOptions`), ``errors``, and the private
mechanics ``_state`` (partial file, sidecar and lock), ``_transfer`` (the resume and retry state machine) with its two
drivers ``_sync`` (requests) and ``_async`` (aiohttp). Every public name is importable from here and from the package
root; ``synapse_fileutils.download_errors`` still names the errors. No submodule is named like a function it
exports, and all are imported eagerly, so no lazy import can shadow a function (DESIGN.md, section 3).

Example:
    >>> from synapse_fileutils.download import cache_file_name
    >>> cache_file_name("https://bucket.example.com/a/cat.jpg?X-Amz-Signature=abc")
    '7809148c0923e5cf76029b6e99911d59.jpg'
"""

from __future__ import annotations

from ..http.redact import redact_url
from ._state import LOCK_WAIT_SECONDS
from ._sync import shared_session
from ._transfer import RetryPolicy, cache_file_name, clean_url, default_download_dir
from .errors import ChecksumMismatchError, DownloadError, DownloadInProgressError, DownloadTooLargeError
from .records import (
    DEFAULT_MAX_WORKERS,
    BatchOptions,
    afiles_url_to_path,
    afiles_url_to_path_from_objs,
    files_url_to_path,
    files_url_to_path_from_objs,
)
from .single import adownload_file, download_file

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "LOCK_WAIT_SECONDS",
    "BatchOptions",
    "ChecksumMismatchError",
    "DownloadError",
    "DownloadInProgressError",
    "DownloadTooLargeError",
    "RetryPolicy",
    "adownload_file",
    "afiles_url_to_path",
    "afiles_url_to_path_from_objs",
    "cache_file_name",
    "clean_url",
    "default_download_dir",
    "download_file",
    "files_url_to_path",
    "files_url_to_path_from_objs",
    "redact_url",
    "shared_session",
]
