"""One API over every storage the platform names: local folders, HTTP servers, S3, GCS and SFTP.

:func:`get_storage` takes a URL or the platform's storage record ``{provider, configuration}`` and returns a
:class:`Storage` with ``upload``, ``download``, ``exists``, ``delete``, ``get_url``, ``get_pathlib``, ``iter_files``,
``get_path_file_count`` and ``get_path_total_size``. The local provider needs nothing beyond the standard library;
S3, GCS and SFTP load fsspec and their filesystem package only when created (extras ``s3``, ``gcs``, ``sftp``).

Example:
    >>> import io, tempfile
    >>> from synapse_fileutils.storage import get_storage
    >>> storage = get_storage({"provider": "file_system", "configuration": {"location": tempfile.mkdtemp()}})
    >>> _ = storage.upload(io.BytesIO(b"{}"), "exports/a.json")
    >>> get_path_file_count(storage, "exports"), get_path_total_size(storage, "exports")
    (1, 2)
"""

from __future__ import annotations

import os
from typing import Any

from .base import CHUNK_SIZE, FileEntry, ProgressCallback, Storage
from .errors import (
    MissingExtraError,
    PathEscapeError,
    StorageConfigError,
    StorageError,
    StorageNotFoundError,
    StorageOperationError,
    StorageUnsupportedError,
)
from .http import HTTPStorage
from .local import LocalStorage
from .registry import PROVIDER_ALIASES, StorageConfig, get_storage

__all__ = [
    "CHUNK_SIZE",
    "PROVIDER_ALIASES",
    "FileEntry",
    "HTTPStorage",
    "LocalStorage",
    "MissingExtraError",
    "PathEscapeError",
    "ProgressCallback",
    "Storage",
    "StorageConfig",
    "StorageConfigError",
    "StorageError",
    "StorageNotFoundError",
    "StorageOperationError",
    "StorageUnsupportedError",
    "get_path_file_count",
    "get_path_total_size",
    "get_pathlib",
    "get_storage",
]


def get_pathlib(connection: StorageConfig, path: str | os.PathLike[str] = "") -> Any:
    """Return a pathlib-like object for ``path`` in the storage described by ``connection``.

    Args:
        connection: A URL, a platform storage record or a provider (see :func:`get_storage`).
        path: The path relative to the storage root.

    Returns:
        A :class:`pathlib.Path` for local storage, a
        :class:`~synapse_fileutils.storage.path.StoragePath` for S3, GCS and SFTP.

    Raises:
        PathEscapeError: ``path`` would leave the root.
        StorageUnsupportedError: The provider has no folders (plain HTTP).

    Example:
        >>> import tempfile
        >>> config = {"provider": "local", "configuration": {"location": tempfile.mkdtemp()}}
        >>> get_pathlib(config, "/uploads").name
        'uploads'
    """
    return get_storage(connection).get_pathlib(path)


def get_path_file_count(connection: StorageConfig, path: str | os.PathLike[str] = "") -> int:
    """Count the files at or under ``path`` in the storage described by ``connection``.

    Args:
        connection: A URL, a platform storage record or a provider (see :func:`get_storage`).
        path: A folder or file relative to the storage root.

    Returns:
        The number of files (``0`` for a missing path).

    Raises:
        PathEscapeError: ``path`` would leave the root.
        StorageUnsupportedError: The provider cannot list (plain HTTP).

    Example:
        >>> import tempfile
        >>> get_path_file_count({"provider": "local", "configuration": {"location": tempfile.mkdtemp()}}, "/")
        0
    """
    return get_storage(connection).get_path_file_count(path)


def get_path_total_size(connection: StorageConfig, path: str | os.PathLike[str] = "") -> int:
    """Add up the sizes of the files at or under ``path`` in the storage described by ``connection``.

    Args:
        connection: A URL, a platform storage record or a provider (see :func:`get_storage`).
        path: A folder or file relative to the storage root.

    Returns:
        The total in bytes (``0`` for a missing path).

    Raises:
        PathEscapeError: ``path`` would leave the root.
        StorageUnsupportedError: The provider cannot list (plain HTTP).

    Example:
        >>> import tempfile
        >>> get_path_total_size({"provider": "local", "configuration": {"location": tempfile.mkdtemp()}}, "/")
        0
    """
    return get_storage(connection).get_path_total_size(path)
