r"""Output names and the export folder: names from the server confined and de-duplicated, files written via storage.

- [`safe_file_name`][synapse_plugins.export.files.safe_file_name] turns a name the server sent
  (``file_name_original``) into a bare file name: no folders, no ``..``, no control characters.
- [`NameAllocator`][synapse_plugins.export.files.NameAllocator] gives each item its own stem: a second ``a.jpg``
  becomes ``a(1).jpg`` (and its JSON ``a(1).json``) instead of overwriting the first. Stems compare without case, so
  the result is also safe on case-insensitive file systems.
- [`ExportFolder`][synapse_plugins.export.files.ExportFolder] writes under one folder of a
  ``synapse_fileutils.storage`` provider: every write is atomic and confined to the folder.

Example:
    >>> safe_file_name("../../etc/passwd"), safe_file_name("a\\b.jpg"), safe_file_name("..", fallback="item_7")
    ('passwd', 'b.jpg', 'item_7')
    >>> names = NameAllocator()
    >>> names.allocate("cat.jpg"), names.allocate("CAT.png"), names.allocate("cat.jpg")
    ('cat', 'CAT(1)', 'cat(2)')
"""

from __future__ import annotations

import io
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from synapse_fileutils.storage import Storage

__all__ = ["ExportFolder", "NameAllocator", "safe_file_name", "split_name"]

_MAX_NAME_BYTES = 200  # leaves room for "(12345)" and ".json" under the usual 255-byte limit
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")


def safe_file_name(name: Any, *, fallback: str = "item") -> str:
    r"""Return a bare, safe file name for a name that came from outside.

    The last path component is kept (``/`` and ``\\`` both separate), control and reserved characters become ``_``,
    leading dots and spaces are dropped (no hidden files, no ``..``), and long names are shortened keeping the suffix.

    Args:
        name: The name from the server (anything; non-strings use ``fallback``).
        fallback: What to use when nothing usable is left.

    Returns:
        A non-empty file name without a folder part.

    Example:
        >>> safe_file_name("dir/sub/photo 1.JPG"), safe_file_name("C:\\\\x\\\\y.png"), safe_file_name(None)
        ('photo 1.JPG', 'y.png', 'item')
    """
    if not isinstance(name, str):
        return fallback
    last = re.split(r"[/\\]", unicodedata.normalize("NFC", name))[-1]
    cleaned = _UNSAFE.sub("_", last).lstrip(". ").rstrip(" ")
    if not cleaned or cleaned in (".", ".."):
        return fallback
    if len(cleaned.encode("utf-8")) > _MAX_NAME_BYTES:
        stem, suffix = split_name(cleaned)
        suffix = suffix if len(suffix) <= 16 else ""
        budget = _MAX_NAME_BYTES - len(suffix.encode("utf-8"))
        stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
        cleaned = stem + suffix
    return cleaned


def split_name(name: str) -> tuple[str, str]:
    """Split a file name into stem and suffix (``"a.tar.gz"`` -> ``("a.tar", ".gz")``; no suffix -> ``""``).

    Example:
        >>> split_name("photo.jpg"), split_name("README")
        (('photo', '.jpg'), ('README', ''))
    """
    path = PurePosixPath(name)
    return (path.stem, path.suffix) if path.suffix else (name, "")


class NameAllocator:
    """Give every item a stem of its own, in the order items come (deterministic for the same items).

    Keeps one casefolded stem per item (about 100 bytes each), the only per-item state an export holds.

    Example:
        >>> names = NameAllocator()
        >>> [names.allocate(n) for n in ("a.jpg", "a.json", "a(1).jpg")]
        ['a', 'a(1)', 'a(1)(1)']
    """

    def __init__(self) -> None:
        self._used: set[str] = set()

    def allocate(self, file_name: str) -> str:
        """Claim a unique stem for ``file_name`` (already made safe) and return it.

        Args:
            file_name: The item's file name.

        Returns:
            Its stem, with ``(n)`` appended when an earlier item took it.
        """
        stem, _suffix = split_name(file_name)
        candidate, number = stem, 0
        while candidate.casefold() in self._used:
            number += 1
            candidate = f"{stem}({number})"
        self._used.add(candidate.casefold())
        return candidate


class ExportFolder:
    r"""One folder of a storage provider that an export writes into: atomic writes, confined keys.

    Args:
        storage: The storage (a ``synapse_fileutils.storage`` provider).
        prefix: The folder's key relative to the storage root (``exports/run(1)``).

    Example:
        >>> import tempfile
        >>> from synapse_fileutils.storage import LocalStorage
        >>> folder = ExportFolder(LocalStorage(tempfile.mkdtemp()), "out")
        >>> folder.write_json("json/a.json", {"k": "é"})
        >>> json.loads(folder.read_bytes("json/a.json"))
        {'k': 'é'}
        >>> folder.exists("json/a.json"), folder.exists("json/b.json")
        (True, False)
    """

    def __init__(self, storage: Storage, prefix: str) -> None:
        self.storage = storage
        self.prefix = prefix.strip("/")

    def __repr__(self) -> str:
        return f"ExportFolder({self.storage!r}, {self.prefix!r})"

    def key(self, relative: str) -> str:
        """Return the storage key of a path relative to the folder (``..`` cannot climb out of it).

        Raises:
            ValueError: ``relative`` is absolute or climbs out with ``..``.
        """
        parts = PurePosixPath(relative.replace("\\", "/")).parts
        if relative.startswith(("/", "\\")) or ".." in parts:
            raise ValueError(f"path leaves the export folder: {relative!r}")
        return "/".join([self.prefix, *parts]) if self.prefix else "/".join(parts)

    def write_bytes(self, relative: str, data: bytes) -> None:
        """Write ``data`` to a file of the folder (complete or absent, never partial)."""
        self.storage.upload(io.BytesIO(data), self.key(relative))

    def write_text(self, relative: str, text: str) -> None:
        """Write UTF-8 text to a file of the folder."""
        self.write_bytes(relative, text.encode("utf-8"))

    def write_json(self, relative: str, data: Any, *, indent: int | None = 4) -> None:
        """Write JSON (UTF-8, non-ASCII kept) to a file of the folder."""
        self.write_text(relative, json.dumps(data, indent=indent, ensure_ascii=False))

    def write_file(self, relative: str, source: str | os.PathLike[str]) -> None:
        """Copy a local file into the folder (streamed)."""
        self.storage.upload(source, self.key(relative))

    def place_file(self, relative: str, source: str | os.PathLike[str]) -> None:
        """Move a local file into the folder (it is gone from ``source`` afterwards).

        On local storage the file is renamed into place when both are on one file system (no copy: the file must
        already be complete and synced, as ``download_file`` leaves it); otherwise it is copied and removed.
        """
        local_root = getattr(self.storage, "root", None)
        if local_root is not None:
            target = Path(self.storage.get_pathlib(self.key(relative)))  # resolved and checked for escapes
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(source, target)
                return
            except OSError:  # another file system: copy below
                pass
        self.write_file(relative, source)
        Path(source).unlink(missing_ok=True)

    def local_scratch(self) -> Path | None:
        """Return a private scratch folder on the folder's own file system (local storage only), else None."""
        local_root = getattr(self.storage, "root", None)
        if local_root is None:
            return None
        import tempfile

        base = Path(self.storage.get_pathlib(self.key(".synapse-export")))
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="scratch-", dir=base))

    def read_bytes(self, relative: str) -> bytes:
        """Read a file of the folder (small files: manifests, configs)."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="synapse-export-read-") as scratch:
            return self.storage.download(self.key(relative), Path(scratch) / "file").read_bytes()

    def exists(self, relative: str = "") -> bool:
        """Tell whether a file or folder exists in the folder."""
        return self.storage.exists(self.key(relative) if relative else self.prefix)

    def delete(self, relative: str) -> None:
        """Remove a file of the folder."""
        self.storage.delete(self.key(relative))

    def files(self, relative: str = "") -> Iterator[str]:
        """Yield the paths (relative to the folder) of the files at or under ``relative``."""
        base = self.key(relative) if relative else self.prefix
        strip = f"{self.prefix}/" if self.prefix else ""
        for entry in self.storage.iter_files(base):
            yield entry.path[len(strip) :] if entry.path.startswith(strip) else entry.path
