"""Checksums of files and file objects, computed in one streaming pass.

The hash is fed from a single reusable buffer (``readinto``), so computing the checksum of a large file allocates no
memory per chunk and runs at the speed of :func:`hashlib.file_digest`. :func:`calculate_checksums` hashes many files
at once on a thread pool: hashlib releases the GIL while it hashes, so the threads run in parallel.

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

__all__ = ["DEFAULT_BUFFER_SIZE", "calculate_checksum", "calculate_checksums", "get_checksum_from_file"]

#: Bytes read per ``readinto`` call: large enough to amortise syscalls, small enough to stay in cache.
DEFAULT_BUFFER_SIZE = 1024 * 1024

TYPE_CHECKING = False
# Annotations only: typing and collections.abc stay off the import path (import-time budget, DESIGN.md section 4).
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import IO, Any, TypeAlias, TypeVar

    DigestFactory: TypeAlias = str | Callable[..., Any]
    _PathT = TypeVar("_PathT", bound="str | os.PathLike[str]")


def _new_hash(algorithm: DigestFactory) -> Any:
    if isinstance(algorithm, str):
        return hashlib.new(algorithm)
    return algorithm()


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _update_from_binary(hasher: Any, file: IO[bytes], buffer_size: int) -> None:
    buffer = bytearray(buffer_size)
    view = memoryview(buffer)
    readinto = getattr(file, "readinto", None)
    if readinto is None:  # a minimal reader: fall back to read(), encoding text as UTF-8
        while chunk := file.read(buffer_size):
            hasher.update(_as_bytes(chunk))
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


def calculate_checksums(
    file_paths: Iterable[_PathT],
    algorithm: DigestFactory = "sha1",
    max_workers: int | None = None,
    buffer_size: int = DEFAULT_BUFFER_SIZE,
) -> dict[_PathT, str]:
    """Return the hex digests of many files, hashed in parallel on a thread pool.

    hashlib releases the GIL while it hashes a buffer, so threads use several cores; each thread reuses one buffer of
    ``buffer_size`` bytes, so extra memory is ``max_workers * buffer_size`` at most.

    Args:
        file_paths: Paths of the files to hash. Duplicates are hashed once.
        algorithm: A :mod:`hashlib` algorithm name or constructor, as for :func:`calculate_checksum`.
        max_workers: Number of threads. ``None`` picks the CPU count (at least 2, at most 16).
        buffer_size: Bytes read at a time by each thread. Must be positive.

    Returns:
        A dict from each path, as given, to its hex digest, in the order of ``file_paths``.

    Raises:
        FileNotFoundError: If a file does not exist (the first error in input order is raised after the pool stops).
        ValueError: If ``algorithm`` is unknown, or ``buffer_size`` or ``max_workers`` is not positive.

    Example:
        >>> import pathlib, shutil, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> paths = [folder / "a", folder / "b"]
        >>> for path in paths:
        ...     _ = path.write_bytes(b"abc")
        >>> digests = calculate_checksums(paths, algorithm="md5", max_workers=2)
        >>> digests[folder / "b"]
        '900150983cd24fb0d6963f7d28e17f72'
        >>> shutil.rmtree(folder)
    """
    from concurrent.futures import ThreadPoolExecutor

    if buffer_size <= 0:
        raise ValueError(f"buffer_size must be a positive number of bytes, got {buffer_size}")
    if max_workers is not None and max_workers <= 0:
        raise ValueError(f"max_workers must be positive, got {max_workers}")
    _new_hash(algorithm)  # fail fast on an unknown algorithm, before any thread starts
    unique = list(dict.fromkeys(file_paths))
    if not unique:
        return {}
    workers = max_workers or min(16, max(2, os.cpu_count() or 1))
    workers = min(workers, len(unique))
    if workers == 1:
        return {path: calculate_checksum(path, algorithm, buffer_size) for path in unique}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="checksum") as pool:
        futures = [pool.submit(calculate_checksum, path, algorithm, buffer_size) for path in unique]
        try:
            return {path: future.result() for path, future in zip(unique, futures, strict=True)}
        except BaseException:
            for future in futures:
                future.cancel()
            raise
