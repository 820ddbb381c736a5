"""Checksums of files and file objects, computed in one streaming pass.

The hash is fed from a single reusable buffer (``readinto``), so computing the checksum of a large file allocates no
memory per chunk and runs at the speed of :func:`hashlib.file_digest`.

Example:
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"hello")
    >>> calculate_checksum(f.name)
    'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'
    >>> os.remove(f.name)
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from typing import IO, Any, TypeAlias

__all__ = ["DEFAULT_BUFFER_SIZE", "calculate_checksum", "get_checksum_from_file"]

#: Bytes read per ``readinto`` call: large enough to amortise syscalls, small enough to stay in cache.
DEFAULT_BUFFER_SIZE = 1024 * 1024

DigestFactory: TypeAlias = str | Callable[..., Any]


def _new_hash(algorithm: DigestFactory) -> Any:
    if isinstance(algorithm, str):
        return hashlib.new(algorithm)
    return algorithm()


def _update_from_binary(hasher: Any, file: IO[bytes], buffer_size: int) -> None:
    buffer = bytearray(buffer_size)
    view = memoryview(buffer)
    readinto = getattr(file, "readinto", None)
    if readinto is None:  # a minimal binary reader: fall back to read()
        while chunk := file.read(buffer_size):
            hasher.update(chunk)
        return
    while size := readinto(buffer):
        hasher.update(view[:size])


def calculate_checksum(
    file_path: str | os.PathLike[str],
    algorithm: DigestFactory = "sha1",
    buffer_size: int = DEFAULT_BUFFER_SIZE,
) -> str:
    """Return the hex digest of a file's content.

    Args:
        file_path: Path of the file to hash.
        algorithm: A :mod:`hashlib` algorithm name (``"sha1"``, ``"md5"``, ``"sha256"``, ...) or a constructor such as
            ``hashlib.sha256``. Defaults to SHA-1, as in earlier Synapse SDK releases.
        buffer_size: Bytes read at a time, in bytes. Must be positive.

    Returns:
        The hexadecimal digest.

    Raises:
        FileNotFoundError: If ``file_path`` does not exist.
        ValueError: If ``algorithm`` is unknown or ``buffer_size`` is not positive.

    Example:
        >>> import tempfile, os
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"abc")
        >>> calculate_checksum(f.name, algorithm="md5")
        '900150983cd24fb0d6963f7d28e17f72'
        >>> os.remove(f.name)
    """
    if buffer_size <= 0:
        raise ValueError(f"buffer_size must be a positive number of bytes, got {buffer_size}")
    hasher = _new_hash(algorithm)
    with open(file_path, "rb", buffering=0) as file:
        _update_from_binary(hasher, file, buffer_size)
    return str(hasher.hexdigest())


def get_checksum_from_file(
    file: IO[bytes] | IO[str],
    digest_mod: DigestFactory = hashlib.sha1,
    buffer_size: int = DEFAULT_BUFFER_SIZE,
) -> str:
    """Return the hex digest of an open file object's content.

    Binary objects (``open(..., "rb")``, :class:`io.BytesIO`, Django's ``File``) are hashed as they are; text objects
    are encoded as UTF-8. When the object is seekable, it is read from the start and its position is restored after.

    Args:
        file: An open file object, binary or text.
        digest_mod: A hashlib constructor (default :func:`hashlib.sha1`) or an algorithm name.
        buffer_size: Bytes (or characters, for text objects) read at a time.

    Returns:
        The hexadecimal digest.

    Raises:
        ValueError: If ``buffer_size`` is not positive or the algorithm is unknown.

    Example:
        >>> from io import BytesIO
        >>> get_checksum_from_file(BytesIO(b"hello"))
        'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'
    """
    if buffer_size <= 0:
        raise ValueError(f"buffer_size must be a positive number of bytes, got {buffer_size}")
    hasher = _new_hash(digest_mod)
    position: int | None = None
    try:
        if file.seekable():
            position = file.tell()
            file.seek(0)
    except (AttributeError, OSError, io.UnsupportedOperation):
        position = None
    try:
        if isinstance(file, io.TextIOBase) or "b" not in getattr(file, "mode", "b"):
            while text := file.read(buffer_size):
                hasher.update(text.encode("utf-8") if isinstance(text, str) else text)
        else:
            _update_from_binary(hasher, file, buffer_size)  # type: ignore[arg-type]
    finally:
        if position is not None:
            file.seek(position)
    return str(hasher.hexdigest())
