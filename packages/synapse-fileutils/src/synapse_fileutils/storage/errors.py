"""Errors raised by the storage providers.

The storage family hangs below the package's base error::

    FileUtilsError
     └── StorageError
          ├── StorageConfigError          unknown provider, missing or invalid configuration key
          │    └── MissingExtraError      the provider's optional dependency is not installed
          ├── PathEscapeError             a path would leave the storage root (``..``, symlink)
          ├── StorageNotFoundError        the path does not exist (also a FileNotFoundError)
          ├── StorageUnsupportedError     the provider cannot do this (e.g. listing over plain HTTP)
          └── StorageOperationError       the backend failed (network, permission, server error)

Messages and attributes never contain credentials: configuration values such as keys, passwords and tokens are
scrubbed from backend messages, and URLs are shown without user info or query strings.

Example:
    >>> from synapse_fileutils.errors import FileUtilsError
    >>> issubclass(PathEscapeError, StorageError) and issubclass(StorageError, FileUtilsError)
    True
"""

from __future__ import annotations

from ..errors import FileUtilsError

__all__ = [
    "MissingExtraError",
    "PathEscapeError",
    "StorageConfigError",
    "StorageError",
    "StorageNotFoundError",
    "StorageOperationError",
    "StorageUnsupportedError",
]


class StorageError(FileUtilsError):
    """Base class of every storage error.

    Example:
        >>> issubclass(StorageConfigError, StorageError)
        True
    """


class StorageConfigError(StorageError, ValueError):
    """The storage URL or record is invalid: unknown provider, missing or malformed configuration key.

    Attributes:
        provider: The provider name as given (``None`` when it could not be read).

    Example:
        >>> StorageConfigError("unknown storage provider 'ftp'", provider="ftp").provider
        'ftp'
    """

    def __init__(self, message: str, *, provider: str | None = None) -> None:
        super().__init__(message)
        self.provider = provider


class MissingExtraError(StorageConfigError, ImportError):
    """The provider needs an optional dependency that is not installed.

    Attributes:
        provider: The provider that was asked for.
        extra: The extra to install, e.g. ``"s3"`` for ``pip install 'synapse-fileutils[s3]'``.

    Example:
        >>> error = MissingExtraError(provider="s3", extra="s3", module="s3fs")
        >>> print(error)
        the 's3' storage provider needs s3fs: pip install 'synapse-fileutils[s3]'
    """

    def __init__(self, *, provider: str, extra: str, module: str) -> None:
        super().__init__(
            f"the {provider!r} storage provider needs {module}: pip install 'synapse-fileutils[{extra}]'",
            provider=provider,
        )
        self.extra = extra


class PathEscapeError(StorageError, ValueError):
    """A path would leave the storage root through ``..`` or a symbolic link.

    Attributes:
        path: The path as the caller gave it.

    Example:
        >>> PathEscapeError("../etc/passwd").path
        '../etc/passwd'
    """

    def __init__(self, path: str, reason: str = "it climbs above the storage root") -> None:
        super().__init__(f"refusing path {path!r}: {reason}")
        self.path = path


class StorageNotFoundError(StorageError, FileNotFoundError):
    """The path does not exist in the storage.

    Attributes:
        path: The path relative to the storage root.

    Example:
        >>> isinstance(StorageNotFoundError("a.txt"), FileNotFoundError)
        True
    """

    def __init__(self, path: str) -> None:
        super().__init__(f"no such file in storage: {path!r}")
        self.path = path


class StorageUnsupportedError(StorageError, NotImplementedError):
    """The provider cannot perform this operation.

    Attributes:
        provider: The provider name.
        operation: The operation that was asked for.

    Example:
        >>> print(StorageUnsupportedError("http", "listing"))
        the 'http' storage provider does not support listing
    """

    def __init__(self, provider: str, operation: str) -> None:
        super().__init__(f"the {provider!r} storage provider does not support {operation}")
        self.provider = provider
        self.operation = operation


class StorageOperationError(StorageError, OSError):
    """The backend failed to carry out an operation.

    Attributes:
        operation: What was attempted (``"upload"``, ``"download"``, ``"exists"``...).
        path: The path relative to the storage root.
        status: The HTTP status for HTTP-based providers, else ``None``.

    Example:
        >>> error = StorageOperationError("upload", "a.txt", "connection refused")
        >>> print(error)
        upload 'a.txt' failed: connection refused
    """

    def __init__(self, operation: str, path: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"{operation} {path!r} failed: {reason}")
        self.operation = operation
        self.path = path
        self.status = status
