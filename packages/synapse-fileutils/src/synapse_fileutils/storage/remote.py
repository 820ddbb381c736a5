"""The shared base of providers built on fsspec (S3, GCS, SFTP).

fsspec and the provider's filesystem package are optional extras; they are imported when a provider is created, and
a missing one raises :class:`~synapse_fileutils.storage.errors.MissingExtraError` naming the extra to install.

Example:
    >>> issubclass(FsspecStorage, Storage)
    True
"""

from __future__ import annotations

import contextlib
import importlib
import os
import secrets as _secrets
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from ._paths import join_key, normalize_key
from .base import FileEntry, ProgressCallback, Storage, copy_stream
from .errors import MissingExtraError, StorageNotFoundError

if TYPE_CHECKING:
    from .path import StoragePath

__all__ = ["FsspecStorage", "require_module"]


def require_module(module: str, *, provider: str, extra: str) -> Any:
    """Import an optional dependency or explain which extra provides it.

    Args:
        module: The module to import (``"s3fs"``).
        provider: The provider that needs it, for the message.
        extra: The extra of ``synapse-fileutils`` that installs it.

    Returns:
        The imported module.

    Raises:
        MissingExtraError: The module (or fsspec) is not installed.

    Example:
        >>> require_module("json", provider="local", extra="storage").__name__
        'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(provider=provider, extra=extra, module=module) from None


class FsspecStorage(Storage):
    """A provider whose backend is an fsspec filesystem, rooted at a backend path.

    Subclasses build the filesystem and pass it here with the root (``"bucket/prefix"`` or ``"/srv/data"``).

    Args:
        fs: The fsspec filesystem.
        root: The backend path every key is relative to.
        secrets: Configuration values to scrub from messages.

    Example:
        >>> import tempfile
        >>> from fsspec.implementations.local import LocalFileSystem
        >>> storage = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp())
        >>> storage.get_path_file_count()
        0
    """

    provider: ClassVar[str] = "fsspec"
    #: Whether the backend has real folders that must exist before a file is written inside them.
    _has_folders: ClassVar[bool] = True
    #: Write to a temp name and rename, so a failed upload leaves nothing under the final name (object stores
    #: get this from multipart uploads and need no rename).
    _rename_into_place: ClassVar[bool] = True

    def __init__(self, fs: Any, root: str, *, secrets: tuple[str | None, ...] = ()) -> None:
        super().__init__(secrets=secrets)
        self._fs = fs
        self._root = root.rstrip("/") or "/"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={self._root!r})"

    # -- backend paths ------------------------------------------------------------------------------------------

    def _full(self, key: str) -> str:
        return join_key(self._root, key)

    def _relative(self, name: str) -> str:
        prefix = self._root.rstrip("/") + "/"
        name = name.rstrip("/")
        return name[len(prefix) :] if name.startswith(prefix) else ""

    def _write_options(self) -> dict[str, Any]:
        return {}

    def _read_options(self) -> dict[str, Any]:
        return {}

    # -- primitives ---------------------------------------------------------------------------------------------

    def _write(self, key: str, source: IO[bytes], total: int | None, progress: ProgressCallback | None) -> None:
        full = self._full(key)
        parent, _, name = full.rpartition("/")
        if self._has_folders and parent:
            self._fs.makedirs(parent, exist_ok=True)
        partial = f"{parent}/.{name}.{_secrets.token_hex(4)}.part" if self._rename_into_place else full
        # No `with`: fsspec files commit on close even when the block raised, which would publish a partial object.
        out = self._fs.open(partial, "wb", **self._write_options())
        try:
            copy_stream(source, out, total=total, progress=progress)
        except BaseException:
            self._abandon(out, partial)
            raise
        out.close()
        if partial != full:
            try:
                self._fs.mv(partial, full)
            except BaseException:
                self._abandon(None, partial)
                raise

    def _abandon(self, file: Any, partial: str) -> None:
        """Throw away an unfinished write: abort the multipart upload, or remove the temp file."""
        with contextlib.suppress(Exception):
            if self._rename_into_place:
                if file is not None:
                    file.close()
                if self._fs.exists(partial):
                    self._fs.rm_file(partial)
            elif file is not None:
                discard = getattr(file, "discard", None)
                if callable(discard):
                    discard()
        if file is not None:
            with contextlib.suppress(Exception):
                file.closed = True  # keeps the file's finalizer from committing what was discarded

    def _read_into(self, key: str, target: IO[bytes], progress: ProgressCallback | None) -> None:
        with self._fs.open(self._full(key), "rb", **self._read_options()) as file:
            size = getattr(file, "size", None)
            copy_stream(file, target, total=size if isinstance(size, int) else None, progress=progress)

    def _exists(self, key: str) -> bool:
        return bool(self._fs.exists(self._full(key)))

    def _delete(self, key: str) -> None:
        full = self._full(key)
        if not self._fs.isfile(full):
            raise StorageNotFoundError(key)
        self._fs.rm_file(full)

    def _url(self, key: str, presigned: bool, expires: int) -> str:
        protocol = self._fs.protocol if isinstance(self._fs.protocol, str) else self._fs.protocol[0]
        return f"{protocol}://{quote(self._full(key))}"

    def _iter_files(self, key: str) -> Iterator[FileEntry]:
        full = self._full(key)
        try:
            info = self._fs.info(full)
        except FileNotFoundError:
            return
        if info.get("type") == "file":
            yield FileEntry(key, int(info.get("size") or 0))
            return
        yield from self._walk_files(full)

    def _walk_files(self, full: str) -> Iterator[FileEntry]:
        """Yield files under ``full`` folder by folder (memory bounded by the largest single folder)."""
        for _folder, _dirs, files in self._fs.walk(full, detail=True):
            for info in files.values():
                if info.get("type") == "file":  # links and special files are skipped
                    yield FileEntry(self._relative(info["name"]), int(info.get("size") or 0))

    # -- helpers for StoragePath --------------------------------------------------------------------------------

    def _info(self, key: str) -> dict[str, Any] | None:
        try:
            info: dict[str, Any] = self._fs.info(self._full(key))
        except FileNotFoundError:
            return None
        return info

    def _children(self, key: str) -> Iterator[tuple[str, bool]]:
        """Yield ``(key, is_dir)`` for the direct children of the folder ``key``."""
        for info in self._fs.ls(self._full(key), detail=True):
            child = self._relative(info["name"])
            if child and child != key:
                yield child, info.get("type") == "directory"

    def _descendants(self, key: str, maxdepth: int | None) -> Iterator[tuple[str, bool]]:
        """Yield ``(key, is_dir)`` for everything under the folder ``key``, down to ``maxdepth`` levels."""
        for folder, dirs, files in self._fs.walk(self._full(key), maxdepth=maxdepth, detail=True):
            base = self._relative(folder) if folder.rstrip("/") != self._root else ""
            for name in dirs:
                yield (f"{base}/{name}" if base else name), True
            for name in files:
                yield (f"{base}/{name}" if base else name), False

    def _open(self, key: str, mode: str) -> IO[bytes]:
        options = self._write_options() if "w" in mode else self._read_options()
        file: IO[bytes] = self._fs.open(self._full(key), mode, **options)
        return file

    def _mkdir(self, key: str, parents: bool) -> None:
        if parents:
            self._fs.makedirs(self._full(key), exist_ok=True)
        else:
            self._fs.mkdir(self._full(key), create_parents=False)

    def get_pathlib(self, path: str | os.PathLike[str] = "") -> StoragePath:
        """Return a pathlib-like :class:`~synapse_fileutils.storage.path.StoragePath` for ``path``.

        Args:
            path: The path relative to the storage root.

        Returns:
            A path object whose every operation stays inside the root.

        Raises:
            PathEscapeError: ``path`` would leave the root.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> storage = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp())
            >>> _ = storage.get_pathlib("notes/a.txt").write_text("hi")
            >>> [p.name for p in storage.get_pathlib("notes").iterdir()]
            ['a.txt']
        """
        from .path import StoragePath

        return StoragePath(self, self._key(path))


def key_of(location: str | None) -> str:
    """Normalize an optional location prefix from a configuration.

    Args:
        location: A prefix such as ``"exports/"`` or ``None``.

    Returns:
        The normalized prefix (``""`` for none).

    Example:
        >>> key_of("/exports/")
        'exports'
    """
    return normalize_key(location or "")
