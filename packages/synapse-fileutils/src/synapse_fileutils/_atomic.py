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
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_path", "atomic_write", "fsync_directory"]


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
def atomic_path(target: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """Yield a temp path beside ``target``; on success it is fsynced and renamed onto ``target``.

    Use this when another program writes the file (ffmpeg, zipfile): it writes to the yielded path, and the target
    appears only if the block finishes without an exception.

    Args:
        target: The final path. Its folder must exist.
        suffix: Suffix of the temp name, for tools that pick a format from the extension (e.g. ``".mp4"``).

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
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f"{suffix}.part", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()
    try:
        yield tmp
        if tmp.exists():
            with open(tmp, "rb") as written:
                os.fsync(written.fileno())
        os.replace(tmp, target)
        fsync_directory(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


@contextlib.contextmanager
def atomic_write(target: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a binary file that replaces ``target`` atomically when the block exits without an exception.

    Args:
        target: The final path. Its folder must exist.

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
    with atomic_path(target) as tmp, open(tmp, "wb") as file:
        yield file
        file.flush()
        os.fsync(file.fileno())
