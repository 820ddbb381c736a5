"""The local file-system provider: a folder on this machine, confined to its root, with no extra dependency.

Example:
    >>> import io, tempfile
    >>> storage = LocalStorage(tempfile.mkdtemp())
    >>> url = storage.upload(io.BytesIO(b"{}"), "exports/a.json")
    >>> storage.get_pathlib("exports/a.json").read_text()
    '{}'
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .._atomic import atomic_write
from .base import FileEntry, ProgressCallback, Storage, copy_stream
from .errors import PathEscapeError, StorageNotFoundError

__all__ = ["LocalStorage"]


class LocalStorage(Storage):
    """Files in a local folder (platform provider ``file_system``).

    Every path is resolved (following symbolic links) and must stay inside the root: ``..`` and links that lead
    outside raise :class:`~synapse_fileutils.storage.errors.PathEscapeError`. Uploads are atomic (temp file in the
    same folder, fsync, rename).

    Args:
        location: The root folder. It need not exist yet: the first upload creates it.

    Example:
        >>> import tempfile
        >>> storage = LocalStorage(tempfile.mkdtemp())
        >>> storage.exists("nothing-here")
        False
    """

    provider = "local"

    def __init__(self, location: str | os.PathLike[str]) -> None:
        super().__init__()
        self._root = Path(location).expanduser().absolute()
        self._real_root = Path(os.path.realpath(self._root))

    def __repr__(self) -> str:
        return f"LocalStorage(location={str(self._root)!r})"

    @property
    def root(self) -> Path:
        """The root folder as given (absolute).

        Example:
            >>> LocalStorage("/srv/data").root.as_posix()
            '/srv/data'
        """
        return self._root

    def _key(self, path: str | os.PathLike[str]) -> str:
        key = super()._key(path)
        self._local(key, str(path))
        return key

    def _local(self, key: str, shown: str | None = None) -> Path:
        """Return the local path of ``key``, refusing it when a symbolic link leads outside the root."""
        local = self._root / key if key else self._root
        resolved = Path(os.path.realpath(local))
        if resolved != self._real_root and self._real_root not in resolved.parents:
            raise PathEscapeError(shown if shown is not None else key, "a symbolic link leads outside the storage root")
        return resolved

    def _write(self, key: str, source: IO[bytes], total: int | None, progress: ProgressCallback | None) -> None:
        target = self._local(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target) as file:
            copy_stream(source, file, total=total, progress=progress)

    def _read_into(self, key: str, target: IO[bytes], progress: ProgressCallback | None) -> None:
        local = self._local(key)
        if not local.is_file():
            raise StorageNotFoundError(key)
        with open(local, "rb") as file:
            copy_stream(file, target, total=os.fstat(file.fileno()).st_size, progress=progress)

    def _exists(self, key: str) -> bool:
        return self._local(key).exists()

    def _delete(self, key: str) -> None:
        local = self._local(key)
        if not local.is_file():
            raise StorageNotFoundError(key)
        local.unlink()

    def _url(self, key: str, presigned: bool, expires: int) -> str:
        return (self._root / key if key else self._root).as_uri()

    def _iter_files(self, key: str) -> Iterator[FileEntry]:
        start = self._local(key)
        if start.is_file():
            yield FileEntry(key, start.stat().st_size)
            return
        # os.walk streams folder by folder; links are not followed, so a link cannot lead the walk outside the root.
        for folder, _dirs, files in os.walk(start):
            base = Path(folder)
            for name in files:
                file = base / name
                if file.is_symlink():
                    continue
                yield FileEntry(file.relative_to(self._real_root).as_posix(), file.stat().st_size)

    def get_pathlib(self, path: str | os.PathLike[str] = "") -> Path:
        """Return a :class:`pathlib.Path` for ``path`` inside the root (resolved, checked for escapes).

        The object is a plain :class:`~pathlib.Path`: what you do with it afterwards (``/ ".."``) is not confined.

        Args:
            path: The path relative to the root.

        Returns:
            The resolved local path (it may not exist yet).

        Raises:
            PathEscapeError: ``path`` would leave the root.

        Example:
            >>> import tempfile
            >>> storage = LocalStorage(tempfile.mkdtemp())
            >>> folder = storage.get_pathlib("exports")
            >>> folder.mkdir()
            >>> folder.is_dir()
            True
        """
        return self._local(self._key(path), str(path))
