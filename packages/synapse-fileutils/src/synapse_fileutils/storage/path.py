"""A pathlib-like path inside an fsspec-backed storage, confined to the storage root.

Every operation goes back through the storage, so ``..`` and (on SFTP) symbolic links cannot leave the root, and the
object's ``str`` and ``repr`` never show credentials.

Example:
    >>> import tempfile
    >>> from fsspec.implementations.local import LocalFileSystem
    >>> from synapse_fileutils.storage.remote import FsspecStorage
    >>> root = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib()
    >>> _ = (root / "a" / "b.txt").write_text("hello")
    >>> sorted(p.key for p in root.rglob("*.txt"))
    ['a/b.txt']
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from .errors import StorageNotFoundError

if TYPE_CHECKING:
    from .remote import FsspecStorage

__all__ = ["StoragePath", "StorageStat"]


@dataclass(frozen=True)
class StorageStat:
    """The part of :func:`os.stat_result` a storage can tell.

    Attributes:
        st_size: Size in bytes (0 for folders).
        st_mtime: Modification time as a POSIX timestamp, or ``None`` when the backend does not say.

    Example:
        >>> StorageStat(st_size=3, st_mtime=None).st_size
        3
    """

    st_size: int
    st_mtime: float | None


class StoragePath:
    """A path in a storage that reads like :class:`pathlib.Path`.

    Supports ``/``, ``name``, ``suffix``, ``stem``, ``parent``, ``exists``, ``is_file``, ``is_dir``, ``stat``,
    ``iterdir``, ``glob``, ``rglob``, ``mkdir``, ``open``, ``read_bytes``, ``read_text``, ``write_bytes``,
    ``write_text`` and ``unlink``. On object stores (S3, GCS) folders exist only through the files inside them, so
    ``mkdir`` makes nothing visible until a file is written.

    Args:
        storage: The storage the path belongs to.
        key: The normalized key relative to the storage root (``""`` for the root).

    Example:
        >>> import tempfile
        >>> from fsspec.implementations.local import LocalFileSystem
        >>> from synapse_fileutils.storage.remote import FsspecStorage
        >>> path = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("x/y.json")
        >>> path.name, path.suffix, path.parent.key
        ('y.json', '.json', 'x')
    """

    def __init__(self, storage: FsspecStorage, key: str) -> None:
        self._storage = storage
        self._key = key

    # -- naming -------------------------------------------------------------------------------------------------

    @property
    def key(self) -> str:
        """The path relative to the storage root (``""`` for the root).

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("/a/./b").key
            'a/b'
        """
        return self._key

    @property
    def name(self) -> str:
        """The final part of the path (``""`` for the root).

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a/b.tar.gz").name
            'b.tar.gz'
        """
        return self._key.rpartition("/")[2]

    @property
    def suffix(self) -> str:
        """The final suffix of the name, with its dot (``""`` when there is none).

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a/b.tar.gz").suffix
            '.gz'
        """
        name = self.name
        dot = name.rfind(".")
        return name[dot:] if 0 < dot < len(name) - 1 else ""

    @property
    def stem(self) -> str:
        """The name without its final suffix.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a/b.tar.gz").stem
            'b.tar'
        """
        suffix = self.suffix
        return self.name[: -len(suffix)] if suffix else self.name

    @property
    def parent(self) -> StoragePath:
        """The folder holding this path (the root is its own parent, as in :mod:`pathlib`).

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a/b").parent.key
            'a'
        """
        return StoragePath(self._storage, self._key.rpartition("/")[0])

    def joinpath(self, *parts: str) -> StoragePath:
        """Join ``parts`` onto this path; the result must stay inside the storage root.

        Args:
            *parts: Relative parts; ``..`` is allowed while it stays inside the root.

        Returns:
            The joined path.

        Raises:
            PathEscapeError: The result would leave the root.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a").joinpath("b", "../c").key
            'a/c'
        """
        joined = "/".join([self._key, *(str(p) for p in parts)])
        return StoragePath(self._storage, self._storage._key(joined))

    def __truediv__(self, other: str) -> StoragePath:
        return self.joinpath(other)

    def __str__(self) -> str:
        return self._storage.get_url(self._key)

    def __repr__(self) -> str:
        return f"StoragePath({self._key!r}, storage={self._storage!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoragePath) and other._storage is self._storage and other._key == self._key

    def __hash__(self) -> int:
        return hash((id(self._storage), self._key))

    # -- queries ------------------------------------------------------------------------------------------------

    def exists(self) -> bool:
        """Tell whether a file or folder exists here.

        Returns:
            ``True`` when it exists.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("nope").exists()
            False
        """
        return self._storage.exists(self._key)

    def is_file(self) -> bool:
        """Tell whether a file exists here.

        Returns:
            ``True`` for a file, ``False`` for a folder or nothing.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib().is_file()
            False
        """
        info = self._info()
        return info is not None and info.get("type") == "file"

    def is_dir(self) -> bool:
        """Tell whether a folder exists here.

        Returns:
            ``True`` for a folder (on object stores: a prefix with files under it).

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib().is_dir()
            True
        """
        info = self._info()
        return info is not None and info.get("type") == "directory"

    def stat(self) -> StorageStat:
        """Return the size and modification time.

        Returns:
            A :class:`StorageStat`.

        Raises:
            StorageNotFoundError: Nothing exists here.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> path = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a.bin")
            >>> _ = path.write_bytes(b"1234")
            >>> path.stat().st_size
            4
        """
        info = self._info()
        if info is None:
            raise StorageNotFoundError(self._key)
        return StorageStat(st_size=int(info.get("size") or 0), st_mtime=_mtime(info))

    def iterdir(self) -> Iterator[StoragePath]:
        """Yield the direct children of this folder.

        Yields:
            A :class:`StoragePath` per file or folder inside.

        Raises:
            StorageNotFoundError: The folder does not exist.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> root = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib()
            >>> _ = (root / "a.txt").write_text("x")
            >>> [p.key for p in root.iterdir()]
            ['a.txt']
        """
        with self._storage._errors("iterdir", self._key):
            children = list(self._storage._children(self._key))
        for child, _is_dir in children:
            yield StoragePath(self._storage, child)

    def glob(self, pattern: str) -> Iterator[StoragePath]:
        """Yield the paths under this folder that match ``pattern`` (``*``, ``?``, ``[...]`` and ``**``).

        Args:
            pattern: A relative pattern such as ``"*.json"``, ``"images/*.png"`` or ``"**/*.txt"``.

        Yields:
            Matching files and folders, streamed folder by folder.

        Raises:
            ValueError: ``pattern`` is empty or absolute.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> root = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib()
            >>> for name in ("a.txt", "b.json", "d/c.txt"):
            ...     _ = (root / name).write_text("x")
            >>> sorted(p.key for p in root.glob("*.txt"))
            ['a.txt']
        """
        if not pattern or pattern.startswith("/"):
            raise ValueError(f"glob pattern must be relative and non-empty, got {pattern!r}")
        regex = _glob_regex(pattern)
        depth = None if "**" in pattern else pattern.count("/") + 1
        prefix = f"{self._key}/" if self._key else ""
        with self._storage._errors("glob", self._key):
            for key, _is_dir in self._storage._descendants(self._key, depth):
                if key.startswith(prefix) and regex.fullmatch(key[len(prefix) :]):
                    yield StoragePath(self._storage, key)

    def rglob(self, pattern: str) -> Iterator[StoragePath]:
        """Yield the paths at any depth under this folder whose name matches ``pattern``.

        Args:
            pattern: A pattern for the last part, such as ``"*.json"``.

        Yields:
            Matching files and folders.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> root = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib()
            >>> for name in ("a.txt", "d/c.txt"):
            ...     _ = (root / name).write_text("x")
            >>> sorted(p.key for p in root.rglob("*.txt"))
            ['a.txt', 'd/c.txt']
        """
        return self.glob(f"**/{pattern}")

    # -- changes ------------------------------------------------------------------------------------------------

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        """Create this folder.

        Args:
            parents: Create missing parent folders too.
            exist_ok: Do not complain when the folder exists.

        Raises:
            FileExistsError: The folder exists and ``exist_ok`` is false.
            StorageOperationError: The backend refused (for example a missing parent without ``parents``).

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> folder = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a/b")
            >>> folder.mkdir(parents=True)
            >>> folder.is_dir()
            True
        """
        if self.is_dir():
            if exist_ok:
                return
            raise FileExistsError(f"folder exists in storage: {self._key!r}")
        with self._storage._errors("mkdir", self._key):
            self._storage._mkdir(self._key, parents)

    def open(self, mode: str = "rb", encoding: str | None = None) -> IO[Any]:
        """Open the file for streaming reads or writes.

        Writes through ``open`` go straight to the backend; use :meth:`write_bytes` (or the storage's ``upload``) for
        writes that appear complete or not at all.

        Args:
            mode: ``"rb"``, ``"wb"``, ``"r"`` or ``"w"``.
            encoding: Text encoding for ``"r"``/``"w"`` (UTF-8 by default).

        Returns:
            A binary file object, or a text wrapper for text modes.

        Raises:
            ValueError: ``mode`` is not one of the four above.
            StorageNotFoundError: Reading a file that does not exist.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> path = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a.txt")
            >>> with path.open("w") as file:
            ...     _ = file.write("hi")
            >>> with path.open("r") as file:
            ...     file.read()
            'hi'
        """
        if mode not in ("rb", "wb", "r", "w"):
            raise ValueError(f"unsupported mode {mode!r}: use 'rb', 'wb', 'r' or 'w'")
        with self._storage._errors("open", self._key):
            raw = self._storage._open(self._key, mode if "b" in mode else mode + "b")
        if "b" in mode:
            return raw
        return io.TextIOWrapper(raw, encoding=encoding or "utf-8")

    def read_bytes(self) -> bytes:
        """Return the whole file as bytes (use :meth:`open` to stream big files).

        Returns:
            The file's content.

        Raises:
            StorageNotFoundError: The file does not exist.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> path = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a.bin")
            >>> _ = path.write_bytes(b"abc")
            >>> path.read_bytes()
            b'abc'
        """
        with self.open("rb") as file:
            data: bytes = file.read()
        return data

    def read_text(self, encoding: str | None = None) -> str:
        """Return the whole file decoded as text.

        Args:
            encoding: The encoding (UTF-8 by default).

        Returns:
            The decoded content.

        Raises:
            StorageNotFoundError: The file does not exist.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> path = FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a.txt")
            >>> _ = path.write_text("안녕")
            >>> path.read_text()
            '안녕'
        """
        return self.read_bytes().decode(encoding or "utf-8")

    def write_bytes(self, data: bytes) -> int:
        """Write ``data`` as the whole file, atomically (temp name, then rename; multipart on object stores).

        Args:
            data: The bytes to write.

        Returns:
            The number of bytes written.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a.bin").write_bytes(b"abc")
            3
        """
        self._storage.upload(io.BytesIO(data), self._key)
        return len(data)

    def write_text(self, data: str, encoding: str | None = None) -> int:
        """Write ``data`` as the whole file, encoded, atomically.

        Args:
            data: The text to write.
            encoding: The encoding (UTF-8 by default).

        Returns:
            The number of characters written.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("a.txt").write_text("abc")
            3
        """
        self.write_bytes(data.encode(encoding or "utf-8"))
        return len(data)

    def unlink(self, missing_ok: bool = False) -> None:
        """Remove the file.

        Args:
            missing_ok: Do not complain when the file does not exist.

        Raises:
            StorageNotFoundError: The file does not exist and ``missing_ok`` is false.

        Example:
            >>> import tempfile
            >>> from fsspec.implementations.local import LocalFileSystem
            >>> from synapse_fileutils.storage.remote import FsspecStorage
            >>> FsspecStorage(LocalFileSystem(), tempfile.mkdtemp()).get_pathlib("gone").unlink(missing_ok=True)
        """
        try:
            self._storage.delete(self._key)
        except StorageNotFoundError:
            if not missing_ok:
                raise

    def _info(self) -> dict[str, Any] | None:
        with self._storage._errors("stat", self._key):
            return self._storage._info(self._key)


def _mtime(info: dict[str, Any]) -> float | None:
    for field in ("mtime", "LastModified", "updated", "created"):
        value = info.get(field)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Translate a glob into a regex over ``/``-separated relative keys."""
    out: list[str] = []
    parts = pattern.split("/")
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:.*/)?")
            continue
        out.append(_segment_regex(part))
        if not last:
            out.append("/")
    return re.compile("".join(out))


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := segment.find("]", i + 2)) != -1:
            body = segment[i + 1 : end]
            negate = body.startswith("!")
            body = re.escape(body[1:] if negate else body).replace("\\-", "-")
            out.append(f"[{'^' if negate else ''}{body}]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)
