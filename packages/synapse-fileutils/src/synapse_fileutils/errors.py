"""Errors raised by synapse-fileutils.

Every error derives from one base class, so ``except FileUtilsError`` catches anything this package raises on purpose::

    FileUtilsError
     └── (families are added by each module: archive, download, encoding, io, video, storage)

Errors carry the data a caller needs to react (a path, an offset, a status) as attributes, and never contain secrets
such as tokens or presigned query strings.

Example:
    >>> from synapse_fileutils.errors import FileUtilsError
    >>> issubclass(FileUtilsError, Exception)
    True
"""

from __future__ import annotations

__all__ = ["FileUtilsError"]


class FileUtilsError(Exception):
    """Base class of every error raised by synapse-fileutils.

    Example:
        >>> try:
        ...     raise FileUtilsError("something failed")
        ... except FileUtilsError as exc:
        ...     print(exc)
        something failed
    """
