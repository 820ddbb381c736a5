"""Write a file so that it appears under its final name complete or not at all.

The temp-file-then-rename dance is written once here and used by every writer in the package (archives, downloads,
transcodes, storage): the data goes to a hidden temp file in the target's folder, is flushed and fsynced, and only then
replaces the target with :func:`os.replace`. On any error the temp file is removed and the target is left as it was.

Example:
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target) as f:
    ...     _ = f.write(b"complete")
    >>> target.read_bytes()
    b'complete'
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_path", "atomic_write", "fsync_directory", "release_lock", "try_lock"]


def _temp_name(target: Path, suffix: str) -> Path:
    """A hidden, unpredictable name beside ``target`` (64 random bits, as ``tempfile`` uses)."""
    return target.with_name(f".{target.name}.{secrets.token_hex(8)}{suffix}.part")


def fsync_directory(directory: str | os.PathLike[str]) -> None:
    """Flush a directory entry to disk so a rename inside it survives a crash (no-op where unsupported).

    Args:
        directory: The folder whose entries to flush.

    Example:
        >>> import tempfile
        >>> fsync_directory(tempfile.gettempdir())
    """
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, suffix: str = "", durable: bool = True) -> Iterator[Path]:
    """Yield a temp path beside ``target``; on success it is fsynced and renamed onto ``target``.

    Use this when another program writes the file (ffmpeg, zipfile): it writes to the yielded path, and the target
    appears only if the block finishes without an exception.

    Args:
        target: The final path. Its folder must exist.
        suffix: Suffix of the temp name, for tools that pick a format from the extension (e.g. ``".mp4"``).
        durable: Fsync the file and its folder before and after the rename, so the new content survives a crash.
            Writers of many small files pass ``False`` and flush once at the end (``os.sync``): the rename still
            guarantees that the target is never partial while the system runs.

    Yields:
        The temp path to write to. It does not exist yet.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
        >>> with atomic_path(target) as tmp:
        ...     _ = tmp.write_bytes(b"x")
        >>> target.read_bytes()
        b'x'
    """
    target = Path(target)
    tmp = _temp_name(target, suffix)
    try:
        yield tmp
        if durable and tmp.exists():
            with open(tmp, "rb") as written:
                os.fsync(written.fileno())
        os.replace(tmp, target)
        if durable:
            fsync_directory(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def atomic_write(target: str | os.PathLike[str], *, durable: bool = True) -> Iterator[BinaryIO]:
    """Open a binary file that replaces ``target`` atomically when the block exits without an exception.

    Args:
        target: The final path. Its folder must exist.
        durable: Fsync before the rename (see :func:`atomic_path`).

    Yields:
        A binary file object open for writing.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "b.bin"
        >>> with atomic_write(target) as f:
        ...     _ = f.write(b"data")
        >>> target.read_bytes()
        b'data'
    """
    target = Path(target)
    while True:  # one exclusive create (honouring the umask), not mkstemp's 0600 file plus a chmod
        tmp = _temp_name(target, "")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as file:
            yield file
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    if durable:
        fsync_directory(target.parent)


def try_lock(path: str | os.PathLike[str]) -> int | None:
    """Try once to take the exclusive advisory lock on the lock file ``path``, creating it if needed.

    The lock is :func:`fcntl.flock` on the open file, so it holds between processes and between threads (each call
    opens its own file), and the kernel drops it when its holder dies. A holder removes the file before letting go
    (:func:`release_lock`); a caller that locked a file that was meanwhile removed or replaced does not get the
    lock, so two callers never both think they hold it. Where :mod:`fcntl` does not exist, the file is opened
    without a lock.

    Args:
        path: The lock file.

    Returns:
        The open descriptor holding the lock (pass it to :func:`release_lock`), or ``None`` if someone else holds it.

    Example:
        >>> import tempfile, pathlib
        >>> lock = pathlib.Path(tempfile.mkdtemp()) / ".a.lock"
        >>> fd = try_lock(lock)
        >>> try_lock(lock) is None
        True
        >>> release_lock(lock, fd)
        >>> lock.exists()
        False
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        fcntl = None  # type: ignore[assignment]
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o666)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        # The previous holder may have removed the file between our open and our flock: our lock would then be on
        # a file nobody else can see.
        if os.stat(path).st_ino != os.fstat(fd).st_ino:
            os.close(fd)
            return None
    except (BlockingIOError, FileNotFoundError):
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd


def release_lock(path: str | os.PathLike[str], fd: int) -> None:
    """Remove the lock file ``path`` and release the lock held by ``fd`` (from :func:`try_lock`).

    Removing before releasing is what makes it safe: whoever waits on the old file notices it is gone and opens a
    new one.

    Args:
        path: The lock file.
        fd: The descriptor returned by :func:`try_lock`.

    Example:
        >>> import tempfile, pathlib
        >>> lock = pathlib.Path(tempfile.mkdtemp()) / ".b.lock"
        >>> release_lock(lock, try_lock(lock))
    """
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    finally:
        os.close(fd)
