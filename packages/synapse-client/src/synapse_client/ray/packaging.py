r"""Package a local folder as a Ray ``working_dir``: deterministic zip, content-addressed ``gcs://`` URI, upload once.

This is what Ray's own job client does before it submits a job whose ``runtime_env`` names a local folder: walk the
folder honouring ``.gitignore``/``.rayignore`` files and ``excludes`` (gitignore syntax), name the package by its
content (``gcs://_ray_pkg_<hash>.zip``), ask the dashboard whether it has it (``GET /api/packages/gcs/<name>``) and
upload it only when it does not (``PUT /api/packages/gcs/<name>``). Re-submitting unchanged content uploads nothing.

Two things differ from Ray, on purpose:

- **The hash.** Ray XORs 64-bit prefixes of per-file SHA-1 digests: order-free and cheap to forge (a chosen set of
  files can produce any name). Here the name is SHA-256 over the sorted list of (path, mode, SHA-256 of content), so
  two folders share a package only when their packed files are the same bytes under the same names.
- **What is never packed.** Besides Ray's defaults (``.git``, ``.venv``, ``venv``, ``__pycache__``), ``.env`` files,
  other virtualenvs (any folder holding ``pyvenv.cfg``), tool caches and byte code stay home: a package is readable
  by every job on the cluster. Symbolic links that point outside the folder are skipped.

The zip is deterministic (sorted entries, fixed timestamps, normalized permissions), stored uncompressed as Ray's
client stores it, so packaging runs at disk speed and the same content always gives the same bytes.

Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "main.py").write_text("print('hi')\n")
    >>> _ = (folder / ".env").write_text("TOKEN=secret\n")
    >>> package = build_package(folder)
    >>> package.files, package.uri.startswith("gcs://_ray_pkg_"), package.uri == build_package(folder).uri
    (('main.py',), True, True)
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_EXCLUDES", "Package", "build_package", "is_local_working_dir", "package_name"]

#: Never packed, whatever the ignore files say (gitignore syntax).
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "__pycache__",
    "*.py[cod]",
    ".env",
    ".env.*",
    ".envrc",
    ".netrc",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".nox",
    ".tox",
    ".ipynb_checkpoints",
    ".DS_Store",
)
_IGNORE_FILES = (".gitignore", ".rayignore")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_CHUNK = 4 * 1024 * 1024
_HASH_CHARS = 32


@dataclass(frozen=True)
class Package:
    """A packed folder.

    Attributes:
        uri: Its content-addressed URI, ``gcs://_ray_pkg_<hash>.zip``.
        files: The packed paths (POSIX, relative to the folder), sorted.
        size: The packed files' total size in bytes (before zipping).
        folder: The folder it was built from.
    """

    uri: str
    files: tuple[str, ...]
    size: int
    folder: Path = field(repr=False)

    @property
    def name(self) -> str:
        """The package's file name, ``_ray_pkg_<hash>.zip`` (the last segment of the upload URL).

        Example:
            >>> Package("gcs://_ray_pkg_ab.zip", (), 0, Path(".")).name
            '_ray_pkg_ab.zip'
        """
        return package_name(self.uri)

    def zip_bytes(self) -> bytes:
        """Build the zip: sorted entries, fixed timestamps, mode 644 (755 for executables), uncompressed.

        Returns:
            The archive's bytes (the same for the same content).

        Example:
            >>> import pathlib, tempfile
            >>> folder = pathlib.Path(tempfile.mkdtemp())
            >>> _ = (folder / "a.txt").write_text("a")
            >>> build_package(folder).zip_bytes() == build_package(folder).zip_bytes()
            True
        """
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for relative in self.files:
                path = self.folder / relative
                info = zipfile.ZipInfo(relative, date_time=_ZIP_EPOCH)
                info.create_system = 3  # Unix, so that the mode bits below are honoured
                info.external_attr = (_mode(path.stat().st_mode) | stat.S_IFREG) << 16
                with open(path, "rb") as source, archive.open(info, "w", force_zip64=True) as target:
                    while chunk := source.read(_CHUNK):
                        target.write(chunk)
        return buffer.getvalue()


def _mode(st_mode: int) -> int:
    return 0o755 if st_mode & stat.S_IXUSR else 0o644


def package_name(uri: str) -> str:
    """Return the name part of a ``gcs://`` package URI.

    Args:
        uri: ``gcs://<name>.zip``.

    Returns:
        ``<name>.zip``.

    Raises:
        ValueError: For anything but a ``gcs://`` URI naming a ``.zip`` without path separators.

    Example:
        >>> package_name("gcs://_ray_pkg_0a1b.zip")
        '_ray_pkg_0a1b.zip'
    """
    prefix = "gcs://"
    name = uri[len(prefix) :] if uri.startswith(prefix) else ""
    if not name.endswith(".zip") or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"not a gcs:// package URI: {uri!r}")
    return name


def is_local_working_dir(value: Any) -> bool:
    """Tell whether a ``working_dir`` value names a local folder (rather than a URI Ray can fetch).

    Args:
        value: The ``runtime_env["working_dir"]`` value.

    Returns:
        True for a path or a string without ``scheme://``.

    Example:
        >>> is_local_working_dir("./plugin"), is_local_working_dir("gcs://_ray_pkg_1.zip")
        (True, False)
    """
    if isinstance(value, os.PathLike):
        return True
    return isinstance(value, str) and "://" not in value


def _spec(lines: Iterable[str]) -> Callable[[str], bool]:
    import pathspec

    compiled = pathspec.GitIgnoreSpec.from_lines(lines)
    return compiled.match_file


def _walk(folder: Path, excludes: Sequence[str]) -> Iterator[tuple[str, Path]]:
    """Yield (relative POSIX path, path) of the files to pack, in sorted order."""
    root = folder.resolve()
    fixed = _spec([*DEFAULT_EXCLUDES, *excludes])
    # Each folder's ignore files apply to paths below it, like git's.
    stack: list[tuple[Path, str, list[tuple[str, Callable[[str], bool]]]]] = [(root, "", [])]
    found: list[tuple[str, Path]] = []
    while stack:
        directory, prefix, inherited = stack.pop()
        matchers = list(inherited)
        for ignore_name in _IGNORE_FILES:
            ignore = directory / ignore_name
            if ignore.is_file() and not ignore.is_symlink():
                matchers.append((prefix, _spec(ignore.read_text(encoding="utf-8", errors="replace").splitlines())))
        with os.scandir(directory) as entries:
            items = sorted(entries, key=lambda entry: entry.name)
        for entry in items:
            relative = f"{prefix}{entry.name}"
            path = Path(entry.path)
            is_dir = entry.is_dir(follow_symlinks=False)
            if entry.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(root) or target.is_dir():
                    continue  # a link out of the folder (or a linked folder) is not packed
                is_dir = False
            probe = relative + "/" if is_dir else relative
            if fixed(probe) or any(match(probe[len(base) :]) for base, match in matchers):
                continue
            if is_dir:
                if (path / "pyvenv.cfg").exists():
                    continue  # a virtualenv under any name
                stack.append((path, relative + "/", matchers))
            elif entry.is_file():
                found.append((relative, path))
    found.sort()
    yield from found


def build_package(folder: str | os.PathLike[str], excludes: Sequence[str] = ()) -> Package:
    """Select a folder's files and name their package by content.

    Reads every selected file once (SHA-256); call [`Package.zip_bytes`][synapse_client.ray.packaging.Package.zip_bytes]
    only when the cluster does not have the package yet.

    Args:
        folder: The folder to pack.
        excludes: More gitignore-style patterns to leave out (as ``runtime_env["excludes"]``).

    Returns:
        The package (URI, files, size).

    Raises:
        ValueError: If ``folder`` is not a directory.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "keep.py").write_text("")
        >>> _ = (folder / "data.bin").write_bytes(b"0")
        >>> build_package(folder, excludes=["*.bin"]).files
        ('keep.py',)
    """
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"working_dir {os.fspath(folder)!r} is not a directory")
    manifest = hashlib.sha256()
    files: list[str] = []
    size = 0
    for relative, path in _walk(root, excludes):
        digest = hashlib.sha256()
        with open(path, "rb") as source:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        mode = _mode(path.stat().st_mode)
        manifest.update(f"{relative}\0{mode:o}\0{digest.hexdigest()}\n".encode())
        files.append(relative)
    uri = f"gcs://_ray_pkg_{manifest.hexdigest()[:_HASH_CHARS]}.zip"
    return Package(uri=uri, files=tuple(files), size=size, folder=root.resolve())
