"""Read files in fixed-size chunks, for uploads and hashing of files larger than memory.

:func:`read_file_in_chunks` yields independent ``bytes`` objects: keep them as long as you like; memory holds at most
two chunks while you iterate (the one you hold and the one being read). :func:`read_file_in_chunk_views` reads into one
reused buffer and yields :class:`memoryview` slices of it: no allocation per chunk and one chunk of memory, for callers
that consume each chunk before asking for the next (hashing, writing to a socket or a file).

Example:
    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"abcdefghij")
    >>> [len(chunk) for chunk in read_file_in_chunks(f.name, chunk_size=4)]
    [4, 4, 2]
    >>> os.remove(f.name)
"""

from __future__ import annotations

import os

__all__ = ["DEFAULT_CHUNK_SIZE", "read_file_in_chunk_views", "read_file_in_chunks"]

TYPE_CHECKING = False
# Annotations only: typing and collections.abc stay off the import path (import-time budget, DESIGN.md section 4).
if TYPE_CHECKING:
    from collections.abc import Iterator

#: Default chunk size in bytes: 50 MiB (52,428,800 bytes), as in earlier Synapse SDK releases.
DEFAULT_CHUNK_SIZE = 50 * 1024 * 1024


def _check_chunk_size(chunk_size: int) -> None:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
        raise ValueError(f"chunk_size must be a positive integer number of bytes, got {chunk_size!r}")


def read_file_in_chunks(file_path: str | os.PathLike[str], chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
    """Yield a file's content as ``bytes`` chunks of exactly ``chunk_size`` bytes; only the last may be shorter.

    The chunk size is checked when the function is called; the file is opened when iteration starts and closed when
    it ends (or when the generator is closed or garbage collected). An empty file yields nothing.

    Args:
        file_path: Path of the file to read.
        chunk_size: Bytes per chunk, a positive integer. Defaults to 50 MiB (52,428,800 bytes).

    Returns:
        An iterator of ``bytes`` chunks.

    Raises:
        ValueError: If ``chunk_size`` is not a positive integer (raised at call time).
        FileNotFoundError: If the file does not exist (raised by the first ``next()``).
        PermissionError: If the file cannot be read (raised by the first ``next()``).

    Example:
        >>> import hashlib, tempfile, os
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"x" * 10)
        >>> digest = hashlib.md5()
        >>> for chunk in read_file_in_chunks(f.name, chunk_size=3):
        ...     digest.update(chunk)
        >>> digest.hexdigest() == hashlib.md5(b"x" * 10).hexdigest()
        True
        >>> os.remove(f.name)
    """
    _check_chunk_size(chunk_size)
    return _iter_chunks(file_path, chunk_size)


def _iter_chunks(file_path: str | os.PathLike[str], chunk_size: int) -> Iterator[bytes]:
    # BufferedReader.read(n) fills one new bytes object of n bytes straight from the OS (no intermediate copy) and
    # loops until it has n bytes or reaches the end of the file, so every chunk but the last is full.
    with open(file_path, "rb") as file:
        while chunk := file.read(chunk_size):
            yield chunk


def read_file_in_chunk_views(
    file_path: str | os.PathLike[str], chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[memoryview]:
    """Yield a file's content as read-only views over one reused buffer (zero-copy variant).

    Each view holds exactly ``chunk_size`` bytes, only the last may be shorter, and is valid only until the next
    chunk is requested: the next read overwrites the buffer. Copy it (``bytes(view)``) to keep it. Memory stays at one
    chunk for any file size and nothing is allocated per chunk.

    Args:
        file_path: Path of the file to read.
        chunk_size: Bytes per chunk, a positive integer. Defaults to 50 MiB (52,428,800 bytes).

    Returns:
        An iterator of :class:`memoryview` objects over a shared buffer.

    Raises:
        ValueError: If ``chunk_size`` is not a positive integer (raised at call time).
        FileNotFoundError: If the file does not exist (raised by the first ``next()``).
        PermissionError: If the file cannot be read (raised by the first ``next()``).

    Example:
        >>> import hashlib, tempfile, os
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"hello world")
        >>> digest = hashlib.sha256()
        >>> for view in read_file_in_chunk_views(f.name, chunk_size=4):
        ...     digest.update(view)  # consumed at once: no copy needed
        >>> digest.hexdigest() == hashlib.sha256(b"hello world").hexdigest()
        True
        >>> os.remove(f.name)
    """
    _check_chunk_size(chunk_size)
    return _iter_views(file_path, chunk_size)


def _iter_views(file_path: str | os.PathLike[str], chunk_size: int) -> Iterator[memoryview]:
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    with open(file_path, "rb", buffering=0) as file:
        while True:
            filled = 0
            while filled < chunk_size:  # a raw read may return less than asked before the end of the file
                size = file.readinto(view[filled:])
                if not size:
                    break
                filled += size
            if not filled:
                return
            yield view[:filled].toreadonly()
            if filled < chunk_size:
                return
