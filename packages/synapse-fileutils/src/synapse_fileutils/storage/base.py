"""The provider interface every storage implements, and the streaming copy they share.

A provider maps keys relative to its root (see :func:`~synapse_fileutils.storage._paths.normalize_key`) onto a backend.
Subclasses implement a handful of primitives; counting, sizing and the module-level helpers are written once here on
top of :meth:`Storage.iter_files`, which streams.

Example:
    >>> import tempfile
    >>> from synapse_fileutils.storage import LocalStorage
    >>> storage = LocalStorage(tempfile.mkdtemp())
    >>> isinstance(storage, Storage)
    True
"""

from __future__ import annotations

import contextlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO, ClassVar, NamedTuple, Union

from .._atomic import atomic_write
from ..progress import ProgressCallback
from ._paths import Scrubber, normalize_key
from .errors import StorageError, StorageNotFoundError, StorageOperationError

__all__ = ["CHUNK_SIZE", "FileEntry", "ProgressCallback", "Source", "Storage", "copy_stream"]

#: Bytes moved per read/write in streaming copies (8 MiB): big enough for throughput, small enough for flat memory.
CHUNK_SIZE = 8 * 1024 * 1024


#: What :meth:`Storage.upload` accepts: a local path or a binary file object open for reading.
Source = Union[str, "os.PathLike[str]", BinaryIO]


class FileEntry(NamedTuple):
    """One file found by :meth:`Storage.iter_files`.

    Attributes:
        path: The key relative to the storage root, with ``/`` separators.
        size: The size in bytes.

    Example:
        >>> FileEntry("exports/a.json", 12).size
        12
    """

    path: str
    size: int


def copy_stream(
    source: IO[bytes],
    target: IO[bytes],
    *,
    total: int | None = None,
    progress: ProgressCallback | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """Copy ``source`` to ``target`` chunk by chunk, reporting progress after each chunk.

    Args:
        source: A binary file object open for reading.
        target: A binary file object open for writing.
        total: The expected total in bytes, passed on to ``progress`` (``None`` when unknown).
        progress: Called with ``(bytes_done, total)`` after every chunk, and once at the start with ``0``.
        chunk_size: Bytes per read, > 0.

    Returns:
        The number of bytes copied.

    Example:
        >>> import io
        >>> seen = []
        >>> copy_stream(io.BytesIO(b"abcde"), io.BytesIO(), total=5, chunk_size=2, progress=lambda d, t: seen.append(d))
        5
        >>> seen
        [0, 2, 4, 5]
    """
    done = 0
    if progress is not None:
        progress(0, total)
    if _kernel_copy_possible(source, target):
        # File to file on this machine: let the kernel move the bytes (no copies through Python).
        # Explicit offsets keep the file objects' own positions (and read-ahead buffers) out of the way.
        source_fd, target_fd = source.fileno(), target.fileno()
        start = source.tell()
        target.flush()
        os.lseek(target_fd, target.tell(), os.SEEK_SET)
        while sent := os.sendfile(target_fd, source_fd, start + done, chunk_size):
            done += sent
            if progress is not None:
                progress(done, total)
        source.seek(start + done)
        target.seek(0, os.SEEK_END)
        return done
    while chunk := source.read(chunk_size):
        target.write(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    return done


def _kernel_copy_possible(source: IO[bytes], target: IO[bytes]) -> bool:
    """Tell whether both ends are regular files on this machine, so ``os.sendfile`` can copy between them."""
    if not hasattr(os, "sendfile"):
        return False
    try:
        import stat

        return stat.S_ISREG(os.fstat(source.fileno()).st_mode) and stat.S_ISREG(os.fstat(target.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        return False


@contextlib.contextmanager
def open_source(source: Source) -> Iterator[tuple[IO[bytes], int | None]]:
    """Open an upload source and tell its size when it is known.

    Args:
        source: A local path, or a binary file object (used as is, not closed).

    Yields:
        ``(file object, size in bytes or None)``.

    Raises:
        FileNotFoundError: The local path does not exist.

    Example:
        >>> import io
        >>> with open_source(io.BytesIO(b"abc")) as (file, size):
        ...     print(file.read(), size)
        b'abc' None
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as file:
            yield file, os.fstat(file.fileno()).st_size
    else:
        yield source, None


class Storage(ABC):
    """A storage provider: upload, download, test, address and list files under one root.

    Paths given to every method are relative to the provider's root. A leading ``/`` means the root, ``..`` may not
    climb above it (:class:`~synapse_fileutils.storage.errors.PathEscapeError`), and providers with symbolic links
    (local, SFTP) refuse links that lead outside it.

    Attributes:
        provider: The canonical provider name (``"local"``, ``"http"``, ``"s3"``, ``"gcs"``, ``"sftp"``).
        supports_listing: Whether :meth:`iter_files`, :meth:`get_pathlib` and the counters work.

    Example:
        >>> import tempfile
        >>> from synapse_fileutils.storage import get_storage
        >>> storage = get_storage({"provider": "file_system", "configuration": {"location": tempfile.mkdtemp()}})
        >>> storage.provider
        'local'
    """

    provider: ClassVar[str] = ""
    supports_listing: ClassVar[bool] = True

    def __init__(self, *, secrets: tuple[str | None, ...] = ()) -> None:
        self._scrubber = Scrubber(secrets)

    # -- primitives each provider implements -------------------------------------------------------------------

    @abstractmethod
    def _write(self, key: str, source: IO[bytes], total: int | None, progress: ProgressCallback | None) -> None:
        """Store the bytes of ``source`` under ``key``; the file appears complete or not at all."""

    @abstractmethod
    def _read_into(self, key: str, target: IO[bytes], progress: ProgressCallback | None) -> None:
        """Stream the bytes under ``key`` into ``target``."""

    @abstractmethod
    def _exists(self, key: str) -> bool:
        """Tell whether a file or folder exists under ``key``."""

    @abstractmethod
    def _delete(self, key: str) -> None:
        """Remove the file under ``key``."""

    @abstractmethod
    def _url(self, key: str, presigned: bool, expires: int) -> str:
        """Return a URL for ``key``."""

    @abstractmethod
    def _iter_files(self, key: str) -> Iterator[FileEntry]:
        """Yield the files at or under ``key`` one by one."""

    @abstractmethod
    def get_pathlib(self, path: str | os.PathLike[str] = "") -> Any:
        """Return a pathlib-like object for ``path`` (see the provider's documentation for its type)."""

    # -- public API ---------------------------------------------------------------------------------------------

    def upload(
        self, source: Source, target: str | os.PathLike[str], *, progress: ProgressCallback | None = None
    ) -> str:
        """Stream a local file (or binary file object) to ``target``; memory stays flat for any size.

        Args:
            source: A local path or a binary file object open for reading (read from its current position).
            target: The destination path relative to the storage root.
            progress: Called with ``(bytes_done, total_bytes)`` after each chunk; ``total_bytes`` is ``None`` for file
                objects.

        Returns:
            The URL of the uploaded file, as :meth:`get_url` gives it (never presigned, never with credentials).

        Raises:
            PathEscapeError: ``target`` would leave the root.
            FileNotFoundError: ``source`` is a path that does not exist.
            StorageOperationError: The backend failed; nothing is left under ``target`` on providers with atomic
                writes (all but plain HTTP, where the server decides).

        Example:
            >>> import io, tempfile
            >>> from synapse_fileutils.storage import LocalStorage
            >>> storage = LocalStorage(tempfile.mkdtemp())
            >>> storage.upload(io.BytesIO(b"hello"), "greetings/hello.txt").endswith("/greetings/hello.txt")
            True
        """
        key = self._key(target)
        with open_source(source) as (file, total), self._errors("upload", key):
            self._write(key, file, total, progress)
        return self.get_url(key)

    def download(
        self,
        source: str | os.PathLike[str],
        target: str | os.PathLike[str],
        *,
        progress: ProgressCallback | None = None,
    ) -> Path:
        """Stream the file at ``source`` to the local path ``target`` (written to a temp file, then renamed).

        Args:
            source: The path in the storage, relative to its root.
            target: The local destination file. Its folder is created if needed.
            progress: Called with ``(bytes_done, total_bytes)`` after each chunk (``total_bytes`` may be ``None``).

        Returns:
            ``target`` as a :class:`~pathlib.Path`.

        Raises:
            PathEscapeError: ``source`` would leave the root.
            StorageNotFoundError: ``source`` does not exist.
            StorageOperationError: The backend failed; ``target`` is left as it was.

        Example:
            >>> import io, tempfile, pathlib
            >>> from synapse_fileutils.storage import LocalStorage
            >>> storage = LocalStorage(tempfile.mkdtemp())
            >>> _ = storage.upload(io.BytesIO(b"hello"), "a.txt")
            >>> storage.download("a.txt", pathlib.Path(tempfile.mkdtemp()) / "copy.txt").read_bytes()
            b'hello'
        """
        key = self._key(source)
        destination = Path(target)
        destination.parent.mkdir(parents=True, exist_ok=True)
        with self._errors("download", key), atomic_write(destination) as file:
            self._read_into(key, file, progress)
        return destination

    def exists(self, path: str | os.PathLike[str]) -> bool:
        """Tell whether a file (or, on providers with folders, a folder) exists at ``path``.

        Args:
            path: The path relative to the storage root.

        Returns:
            ``True`` when it exists.

        Raises:
            PathEscapeError: ``path`` would leave the root.
            StorageOperationError: The backend failed (a missing file is ``False``, not an error).

        Example:
            >>> import tempfile
            >>> from synapse_fileutils.storage import LocalStorage
            >>> LocalStorage(tempfile.mkdtemp()).exists("missing.txt")
            False
        """
        key = self._key(path)
        with self._errors("exists", key):
            return self._exists(key)

    def delete(self, path: str | os.PathLike[str]) -> None:
        """Remove the file at ``path``.

        Args:
            path: The path relative to the storage root.

        Raises:
            PathEscapeError: ``path`` would leave the root.
            StorageNotFoundError: There is no file at ``path``.
            StorageOperationError: The backend failed.

        Example:
            >>> import io, tempfile
            >>> from synapse_fileutils.storage import LocalStorage
            >>> storage = LocalStorage(tempfile.mkdtemp())
            >>> _ = storage.upload(io.BytesIO(b"x"), "a.txt")
            >>> storage.delete("a.txt")
            >>> storage.exists("a.txt")
            False
        """
        key = self._key(path)
        with self._errors("delete", key):
            self._delete(key)

    def get_url(self, path: str | os.PathLike[str], *, presigned: bool = False, expires: int = 3600) -> str:
        """Return a URL for ``path`` that a user or program can open.

        Args:
            path: The path relative to the storage root.
            presigned: For S3 and GCS, return a time-limited signed URL that works without credentials. Other
                providers ignore it. Treat a presigned URL as a secret: it grants access until it expires.
            expires: Lifetime of a presigned URL in seconds.

        Returns:
            The URL (``file://`` for local files, ``sftp://`` without credentials for SFTP).

        Raises:
            PathEscapeError: ``path`` would leave the root.
            StorageOperationError: Signing failed (for example GCS without service-account credentials).

        Example:
            >>> from synapse_fileutils.storage import LocalStorage
            >>> LocalStorage("/srv/data").get_url("a b.txt")
            'file:///srv/data/a%20b.txt'
        """
        key = self._key(path)
        with self._errors("get_url", key):
            return self._url(key, presigned, expires)

    def iter_files(self, path: str | os.PathLike[str] = "") -> Iterator[FileEntry]:
        """Yield every file at or under ``path``, one at a time, without building the whole list.

        Args:
            path: A folder (or file) relative to the storage root; the root by default.

        Yields:
            A :class:`FileEntry` per file, in no particular order. A missing path yields nothing.

        Raises:
            PathEscapeError: ``path`` would leave the root.
            StorageUnsupportedError: The provider cannot list (plain HTTP).
            StorageOperationError: The backend failed.

        Example:
            >>> import io, tempfile
            >>> from synapse_fileutils.storage import LocalStorage
            >>> storage = LocalStorage(tempfile.mkdtemp())
            >>> _ = storage.upload(io.BytesIO(b"abc"), "d/a.txt")
            >>> [(e.path, e.size) for e in storage.iter_files("d")]
            [('d/a.txt', 3)]
        """
        key = self._key(path)
        with self._errors("list", key):
            yield from self._iter_files(key)

    def get_path_file_count(self, path: str | os.PathLike[str] = "") -> int:
        """Count the files at or under ``path`` (streams the listing; memory does not grow with the count).

        Args:
            path: A folder or file relative to the storage root.

        Returns:
            The number of files; ``0`` for a missing path.

        Raises:
            PathEscapeError: ``path`` would leave the root.
            StorageUnsupportedError: The provider cannot list.
            StorageOperationError: The backend failed.

        Example:
            >>> import io, tempfile
            >>> from synapse_fileutils.storage import LocalStorage
            >>> storage = LocalStorage(tempfile.mkdtemp())
            >>> for name in ("a", "b/c"):
            ...     _ = storage.upload(io.BytesIO(b"12"), name)
            >>> storage.get_path_file_count()
            2
        """
        return sum(1 for _ in self.iter_files(path))

    def get_path_total_size(self, path: str | os.PathLike[str] = "") -> int:
        """Add up the sizes of the files at or under ``path`` (streams the listing).

        Args:
            path: A folder or file relative to the storage root.

        Returns:
            The total in bytes; ``0`` for a missing path.

        Raises:
            PathEscapeError: ``path`` would leave the root.
            StorageUnsupportedError: The provider cannot list.
            StorageOperationError: The backend failed.

        Example:
            >>> import io, tempfile
            >>> from synapse_fileutils.storage import LocalStorage
            >>> storage = LocalStorage(tempfile.mkdtemp())
            >>> for name in ("a", "b/c"):
            ...     _ = storage.upload(io.BytesIO(b"12"), name)
            >>> storage.get_path_total_size()
            4
        """
        return sum(entry.size for entry in self.iter_files(path))

    # -- helpers ------------------------------------------------------------------------------------------------

    def _key(self, path: str | os.PathLike[str]) -> str:
        """Normalize ``path`` and check that it stays under the root (providers with links add checks)."""
        return normalize_key(path)

    @contextlib.contextmanager
    def _errors(self, operation: str, key: str) -> Iterator[None]:
        """Turn backend exceptions into storage errors whose messages carry no secrets."""
        try:
            yield
        except StorageError:
            raise
        except FileNotFoundError as exc:
            if operation != "upload":
                raise StorageNotFoundError(key) from None
            # A write that finds nothing means the bucket or server folder is missing, not the file.
            reason = self._scrubber.scrub(f"{type(exc).__name__}: {exc}")
            raise StorageOperationError(operation, key, reason) from None
        except Exception as exc:
            reason = self._scrubber.scrub(f"{type(exc).__name__}: {exc}")
            # `from None`: the original exception may quote credentials; the scrubbed reason keeps what matters.
            raise StorageOperationError(operation, key, reason, status=_status_of(exc)) from None


def _status_of(exc: BaseException) -> int | None:
    """Pull an HTTP status out of a backend exception when it carries one."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None
