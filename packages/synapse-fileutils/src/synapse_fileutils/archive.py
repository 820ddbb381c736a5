"""Create ZIP archives and extract ZIP and tar archives safely.

:func:`archive` packs a file or a folder into a ZIP file (deflate); the ZIP appears under its final name only once it
is complete. :func:`unarchive` extracts ZIP and tar (plain, ``.gz``, ``.bz2``, ``.xz``) archives. Extraction checks
every member before anything is written, extracts into a hidden staging folder beside the target, and moves the result
into place only when the whole archive was extracted, so a rejected or corrupt archive leaves the target as it was.

Refused (:class:`~synapse_fileutils.errors.UnsafeArchiveError`): absolute names, names with ``..``, symbolic links
whose target leaves the extraction folder, paths that go through a link, hard links to anything but an earlier regular
file of the same archive, device files, fifos, and entries that would replace a folder of the target with a file.

Limited (:class:`~synapse_fileutils.errors.ArchiveLimitError`, each a keyword argument of :func:`unarchive`; ``None``
disables it): total uncompressed size (:data:`DEFAULT_MAX_TOTAL_SIZE`), member count (:data:`DEFAULT_MAX_MEMBERS`)
and compression ratio (:data:`DEFAULT_MAX_RATIO`, checked for the archive and each ZIP member once more than
:data:`RATIO_GRACE_SIZE` bytes would be written).

Example:
    >>> import pathlib, shutil, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "data").mkdir()
    >>> _ = (root / "data" / "a.txt").write_text("hello")
    >>> archive(root / "data", root / "data.zip").name
    'data.zip'
    >>> out = unarchive(root / "data.zip", root / "copy")
    >>> (out / "a.txt").read_text()
    'hello'
    >>> shutil.rmtree(root)
"""

from __future__ import annotations

import functools
import os
import stat

from .errors import ArchiveError, ArchiveLimitError, UnsafeArchiveError

TYPE_CHECKING = False
# Only os and stat at import time: zipfile, tarfile, pathlib and typing load when needed (import-time budget).
if TYPE_CHECKING:
    import tarfile
    import zipfile
    from collections.abc import Callable, Iterator
    from pathlib import Path
    from typing import IO, Literal

    _Kind = Literal["file", "dir", "symlink", "hardlink"]
    _Opener = Callable[["_Member"], "IO[bytes] | None"]

__all__ = [
    "DEFAULT_MAX_MEMBERS",
    "DEFAULT_MAX_RATIO",
    "DEFAULT_MAX_TOTAL_SIZE",
    "MAX_TAR_HEADER_SIZE",
    "RATIO_GRACE_SIZE",
    "archive",
    "unarchive",
]

#: Default cap on the total uncompressed size of an archive, in bytes (10 GiB).
DEFAULT_MAX_TOTAL_SIZE = 10 * 1024**3
#: Default cap on the number of members of an archive.
DEFAULT_MAX_MEMBERS = 100_000
#: Default cap on uncompressed size / compressed size, for the archive and for each ZIP member.
DEFAULT_MAX_RATIO = 100.0
#: Bytes an archive (or a ZIP member) may expand to before the ratio is checked: tiny, highly compressible files
#: (an empty JSON list, a folder of zeros) are harmless and common.
RATIO_GRACE_SIZE = 1024 * 1024

_COPY_BUFFER = 1024 * 1024
_MAX_LINK_TARGET = 4096
#: Largest tar extension header (GNU long name or long link, pax record block) read into memory, in bytes. Real ones
#: hold a path of at most a few KiB; tarfile would read a declared size whole before any other check could run.
MAX_TAR_HEADER_SIZE = 1024 * 1024


class _Member:
    """One checked archive entry: where it goes and what it is."""

    __slots__ = ("kind", "link", "mode", "mtime", "name", "parts", "resolved", "size", "source")

    def __init__(
        self,
        name: str,
        parts: tuple[str, ...],
        kind: _Kind,
        size: int,
        *,
        mode: int | None,
        mtime: float | None,
        link: str = "",
        source: object = None,
    ) -> None:
        self.name = name  # as stored in the archive, for error messages
        self.parts = parts  # the safe relative path, split
        self.kind: _Kind = kind
        self.size = size
        self.mode = mode
        self.mtime = mtime
        self.link = link  # symlink target as stored; for hard links the target's relative path
        self.source = source  # the ZipInfo / TarInfo to read the data from
        self.resolved: tuple[str, ...] = ()  # a symlink's target, resolved lexically inside the folder


def archive(input_path: str | os.PathLike[str], output_path: str | os.PathLike[str], append: bool = False) -> Path:
    """Pack a file or a folder into a ZIP archive (deflate).

    A folder is stored with its content at the root of the archive (``folder/a/b.txt`` becomes ``a/b.txt``), empty
    folders included; a single file is stored under its name. Symbolic links to files are stored as the file they
    point to; links to folders are skipped, so a link cycle cannot make the archive endless. The archive is written
    to a temp file beside ``output_path`` and renamed onto it when complete.

    Args:
        input_path: The file or folder to pack.
        output_path: The ZIP file to write. Its folder must exist. When it lies inside ``input_path``, it is not
            packed into itself.
        append: Add the entries to an existing ZIP file instead of replacing it. A name already in the archive is
            added again; extractors, :func:`unarchive` included, keep the last copy. Without an existing file this is
            the same as ``False``.

    Returns:
        ``output_path`` as a :class:`~pathlib.Path`.

    Raises:
        FileNotFoundError: If ``input_path`` does not exist.
        ArchiveError: If ``append`` is true and ``output_path`` exists but is not a ZIP file.

    Example:
        >>> import pathlib, shutil, tempfile, zipfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (root / "notes.txt").write_text("hi")
        >>> _ = archive(root / "notes.txt", root / "notes.zip")
        >>> zipfile.ZipFile(root / "notes.zip").namelist()
        ['notes.txt']
        >>> shutil.rmtree(root)
    """
    import shutil
    import warnings
    import zipfile
    from pathlib import Path

    from ._atomic import atomic_path

    source = Path(input_path)
    target = Path(output_path)
    if not source.exists():
        raise FileNotFoundError(f"cannot archive {os.fspath(source)!r}: no such file or folder")
    entries = list(_entries_to_pack(source, skip=target))
    appending = append and target.exists()
    if appending and not zipfile.is_zipfile(target):
        raise ArchiveError(f"cannot append to {os.fspath(target)!r}: it is not a ZIP file", path=target)
    with atomic_path(target) as tmp:
        if appending:
            shutil.copyfile(target, tmp)
        with (
            zipfile.ZipFile(
                tmp, mode="a" if appending else "w", compression=zipfile.ZIP_DEFLATED, strict_timestamps=False
            ) as zf,
            warnings.catch_warnings(),
        ):
            warnings.filterwarnings("ignore", message="Duplicate name", category=UserWarning)
            for path, arcname in entries:
                zf.write(path, arcname)
    return target


def _entries_to_pack(source: Path, skip: Path) -> Iterator[tuple[Path, str]]:
    """Yield (path on disk, name in the archive) for a file or a folder tree, folders before their content."""
    from pathlib import Path

    if not source.is_dir():
        yield source, source.name
        return
    skip_real = os.path.realpath(skip)
    for folder, dirnames, filenames in os.walk(source):
        dirnames.sort()
        base = Path(folder)
        relative = base.relative_to(source).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        if prefix:
            yield base, prefix
        for name in list(dirnames):
            if (base / name).is_symlink():  # os.walk does not descend into links; do not store them as folders
                dirnames.remove(name)
        for name in sorted(filenames):
            path = base / name
            if path.is_file() and os.path.realpath(path) != skip_real:  # skips broken links and the output itself
                yield path, prefix + name


def unarchive(
    file_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    max_total_size: int | None = DEFAULT_MAX_TOTAL_SIZE,
    max_members: int | None = DEFAULT_MAX_MEMBERS,
    max_ratio: float | None = DEFAULT_MAX_RATIO,
) -> Path:
    """Extract a ZIP or tar archive (plain, gzip, bzip2 or xz) into a folder, safely.

    Every member is checked before anything is written (see the module description for what is refused). The
    archive is extracted into a hidden staging folder beside ``output_path``; only when every member was written is
    the content moved into ``output_path`` (created if missing; existing files with the same names are replaced, other
    files are kept). On any error the staging folder is removed and ``output_path`` is left as it was.

    Args:
        file_path: The archive to extract. The format is told from the content, not the name.
        output_path: The folder to extract into.
        max_total_size: Largest total uncompressed size in bytes, or ``None`` for no limit.
        max_members: Largest number of members, or ``None`` for no limit.
        max_ratio: Largest compression ratio (uncompressed / compressed size) of the archive and of each ZIP
            member, checked beyond :data:`RATIO_GRACE_SIZE` bytes; ``None`` for no limit.

    Returns:
        ``output_path`` as a :class:`~pathlib.Path`.

    Raises:
        FileNotFoundError: If ``file_path`` does not exist.
        ArchiveError: If the file is not a ZIP or tar archive, is corrupt, or ``output_path`` is not a folder.
        UnsafeArchiveError: If a member is refused; ``.member`` names it.
        ArchiveLimitError: If a limit is exceeded; ``.limit`` names it.

    Example:
        >>> import io, pathlib, shutil, tarfile, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> with tarfile.open(root / "evil.tar", "w") as tf:
        ...     info = tarfile.TarInfo("../escape.txt")
        ...     tf.addfile(info, io.BytesIO(b""))
        >>> try:
        ...     unarchive(root / "evil.tar", root / "out")
        ... except UnsafeArchiveError as exc:
        ...     print(exc.member, "->", exc.reason)
        ../escape.txt -> path goes above the target folder
        >>> (root / "out").exists()
        False
        >>> shutil.rmtree(root)
    """
    import zipfile
    from pathlib import Path

    source = Path(file_path)
    target = Path(os.path.abspath(output_path))
    if not source.is_file():
        raise FileNotFoundError(f"cannot extract {os.fspath(source)!r}: no such file")
    if target.exists() and not target.is_dir():
        raise ArchiveError(f"cannot extract into {os.fspath(target)!r}: it is not a folder", path=source)
    limits = _Limits(source, source.stat().st_size, max_total_size, max_members, max_ratio)
    try:
        if zipfile.is_zipfile(source):
            with zipfile.ZipFile(source) as zf:
                members = _check_members(_zip_members(zf, limits), limits)
                _extract(members, target, lambda m: zf.open(m.source), source)  # type: ignore[arg-type]
        elif (tf := _open_tar(source)) is not None:
            with tf:
                members = _check_members(_tar_members(tf, limits), limits)
                _extract(members, target, lambda m: tf.extractfile(m.source), source)  # type: ignore[arg-type]
        else:
            raise ArchiveError(f"cannot extract {os.fspath(source)!r}: not a ZIP or tar archive", path=source)
    except _corrupt_archive_errors() as exc:
        raise ArchiveError(f"cannot extract {os.fspath(source)!r}: corrupt archive: {exc}", path=source) from exc
    return Path(output_path)


def _open_tar(source: Path) -> tarfile.TarFile | None:
    """Open ``source`` as a tar archive whose extension headers are bounded while read; None if it is not one.

    ``tarfile.is_tarfile`` would read the first member with the unbounded reader, so it is not used.
    """
    import tarfile

    try:
        return tarfile.open(source, "r:*", tarinfo=_bounded_tarinfo())
    except tarfile.ReadError:
        return None


@functools.cache  # built once, on first use: tarfile is not imported with the package
def _bounded_tarinfo() -> type[tarfile.TarInfo]:
    """A ``TarInfo`` that refuses an extension header over :data:`MAX_TAR_HEADER_SIZE` before reading it."""
    import tarfile

    extension_types = (
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
    )

    class BoundedTarInfo(tarfile.TarInfo):
        def _proc_member(self, tarfile: tarfile.TarFile) -> tarfile.TarInfo:
            if self.type in extension_types and self.size > MAX_TAR_HEADER_SIZE:
                raise ArchiveLimitError(
                    "max_tar_header_size", self.size, MAX_TAR_HEADER_SIZE, path=getattr(tarfile, "name", None)
                )
            return super()._proc_member(tarfile)  # type: ignore[misc,no-any-return]

    return BoundedTarInfo


def _corrupt_archive_errors() -> tuple[type[Exception], ...]:
    """Errors the readers and decompressors raise on corrupt data (evaluated only when an exception is handled)."""
    import gzip
    import lzma
    import tarfile
    import zipfile
    import zlib

    # NotImplementedError: a ZIP compression method zipfile cannot read (e.g. deflate64).
    errors = (zipfile.BadZipFile, tarfile.TarError, EOFError, gzip.BadGzipFile, lzma.LZMAError, zlib.error)
    return (*errors, NotImplementedError)


class _Limits:
    """The limits in force and the running totals they are checked against."""

    def __init__(
        self,
        path: Path,
        archive_size: int,
        max_total_size: int | None,
        max_members: int | None,
        max_ratio: float | None,
    ) -> None:
        self.path = path
        self.archive_size = archive_size
        self.max_total_size = max_total_size
        self.max_members = max_members
        self.max_ratio = max_ratio
        self.total = 0
        self.count = 0

    def add(self, name: str, size: int, compressed: int | None = None) -> None:
        """Account for one more member, raising as soon as a limit is crossed (before its data is read)."""
        self.count += 1
        self.total += size
        if self.max_members is not None and self.count > self.max_members:
            raise ArchiveLimitError("max_members", self.count, self.max_members, member=name, path=self.path)
        if self.max_total_size is not None and self.total > self.max_total_size:
            raise ArchiveLimitError("max_total_size", self.total, self.max_total_size, member=name, path=self.path)
        if self.max_ratio is None:
            return
        if compressed is not None and size > RATIO_GRACE_SIZE and size / max(compressed, 1) > self.max_ratio:
            raise ArchiveLimitError("max_ratio", size / max(compressed, 1), self.max_ratio, member=name, path=self.path)
        if self.total > RATIO_GRACE_SIZE and self.total / max(self.archive_size, 1) > self.max_ratio:
            ratio = self.total / max(self.archive_size, 1)
            raise ArchiveLimitError("max_ratio", ratio, self.max_ratio, member=name, path=self.path)


def _safe_parts(name: str, archive_path: Path) -> tuple[str, ...]:
    """Split a member name into path components, refusing anything that could leave the target folder."""
    if "\x00" in name:
        raise UnsafeArchiveError(name, "name contains a NUL byte", path=archive_path)
    if name.startswith(("/", "\\")) or (len(name) >= 2 and name[1] == ":" and name[0].isalpha()):
        raise UnsafeArchiveError(name, "absolute path", path=archive_path)
    parts = tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))
    if ".." in parts:
        raise UnsafeArchiveError(name, "path goes above the target folder", path=archive_path)
    return parts


def _zip_members(zf: zipfile.ZipFile, limits: _Limits) -> Iterator[_Member]:
    infos = zf.infolist()
    if limits.max_members is not None and len(infos) > limits.max_members:
        raise ArchiveLimitError("max_members", len(infos), limits.max_members, path=limits.path)
    for info in infos:
        mode = info.external_attr >> 16 if info.create_system == 3 else 0  # Unix modes only from Unix creators
        kind: _Kind
        if info.is_dir() or stat.S_ISDIR(mode):
            kind = "dir"
        elif stat.S_ISLNK(mode):
            kind = "symlink"
        elif mode == 0 or stat.S_ISREG(mode) or stat.S_IFMT(mode) == 0:
            kind = "file"
        else:
            raise UnsafeArchiveError(info.filename, "device file, fifo or socket", path=limits.path)
        if info.flag_bits & 0x1:
            raise ArchiveError(f"cannot extract member {info.filename!r}: it is encrypted", path=limits.path)
        limits.add(info.filename, info.file_size, info.compress_size)
        parts = _safe_parts(info.filename, limits.path)
        link = ""
        if kind == "symlink":
            if info.file_size > _MAX_LINK_TARGET:
                raise UnsafeArchiveError(info.filename, "symbolic link target too long", path=limits.path)
            link = zf.read(info).decode("utf-8", "surrogateescape")
        yield _Member(
            info.filename,
            parts,
            kind,
            info.file_size,
            mode=stat.S_IMODE(mode) if mode else None,
            mtime=_zip_mtime(info.date_time),
            link=link,
            source=info,
        )


def _zip_mtime(date_time: tuple[int, int, int, int, int, int]) -> float | None:
    import time

    try:
        return time.mktime((*date_time, 0, 0, -1))
    except (OverflowError, ValueError):
        return None


def _tar_members(tf: tarfile.TarFile, limits: _Limits) -> Iterator[_Member]:
    for info in tf:  # headers are read one at a time, so a limit stops the scan early
        limits.add(info.name, info.size if info.isreg() else 0)
        parts = _safe_parts(info.name, limits.path)
        kind: _Kind
        if info.isreg():
            kind = "file"
        elif info.isdir():
            kind = "dir"
        elif info.issym():
            kind = "symlink"
        elif info.islnk():
            kind = "hardlink"
        elif info.ischr() or info.isblk():
            raise UnsafeArchiveError(info.name, "device file", path=limits.path)
        elif info.isfifo():
            raise UnsafeArchiveError(info.name, "fifo", path=limits.path)
        else:
            raise UnsafeArchiveError(info.name, f"unsupported member type {info.type!r}", path=limits.path)
        yield _Member(
            info.name, parts, kind, info.size, mode=info.mode, mtime=float(info.mtime), link=info.linkname, source=info
        )


def _kind_class(kind: _Kind | None) -> str | None:
    """Group the kinds that may replace each other: files and hard links, folders, symbolic links."""
    if kind is None or kind == "dir":
        return kind
    return "link" if kind == "symlink" else "file"


def _check_members(members: Iterator[_Member], limits: _Limits) -> list[_Member]:
    """Check the whole member list for links and conflicts; returns the members in archive order."""
    checked: list[_Member] = []
    kinds: dict[tuple[str, ...], _Kind] = {(): "dir"}
    for member in members:
        if not member.parts:
            if member.kind == "dir":
                continue  # the "./" entry of tar files made with `tar -C folder .`
            raise UnsafeArchiveError(member.name, "empty name", path=limits.path)
        for depth in range(1, len(member.parts)):
            ancestor = kinds.setdefault(member.parts[:depth], "dir")
            if ancestor == "symlink":
                raise UnsafeArchiveError(member.name, "path goes through a symbolic link", path=limits.path)
            if ancestor != "dir":
                raise UnsafeArchiveError(member.name, "a parent of this member is a file", path=limits.path)
        previous = kinds.get(member.parts)
        if previous is not None and _kind_class(previous) != _kind_class(member.kind):
            raise UnsafeArchiveError(member.name, f"conflicts with an earlier {previous} entry", path=limits.path)
        if member.kind == "hardlink":
            try:
                target = _safe_parts(member.link, limits.path) if member.link else ()
            except UnsafeArchiveError as exc:
                raise UnsafeArchiveError(member.name, f"hard link {exc.reason}", path=limits.path) from None
            if _kind_class(kinds.get(target)) != "file":
                raise UnsafeArchiveError(
                    member.name, "hard link must point to an earlier file of the archive", path=limits.path
                )
            member.link = "/".join(target)
        kinds[member.parts] = member.kind
        checked.append(member)
    # Links are checked against the final list: a later member can turn a path used by an earlier link into a link.
    for member in checked:
        if member.kind == "symlink":
            member.resolved = _check_symlink(member, kinds, limits.path)
    return checked


def _check_symlink(member: _Member, kinds: dict[tuple[str, ...], _Kind], archive_path: Path) -> tuple[str, ...]:
    """Refuse a link whose target is absolute, leaves the folder, or passes through another link.

    Returns:
        The link target resolved lexically, relative to the extraction folder.
    """
    target = member.link
    if not target or target.startswith(("/", "\\")) or (len(target) >= 2 and target[1] == ":"):
        raise UnsafeArchiveError(member.name, f"symbolic link to absolute path {target!r}", path=archive_path)
    position = list(member.parts[:-1])
    steps = [p for p in target.replace("\\", "/").split("/") if p not in ("", ".")]
    for index, step in enumerate(steps):
        if step == "..":
            if not position:
                raise UnsafeArchiveError(member.name, f"symbolic link points outside: {target!r}", path=archive_path)
            position.pop()
            continue
        position.append(step)
        # Resolving through another link could leave the folder even when the text stays inside; refuse it.
        if index < len(steps) - 1 and kinds.get(tuple(position)) == "symlink":
            raise UnsafeArchiveError(member.name, f"symbolic link goes through a link: {target!r}", path=archive_path)
    return tuple(position)


def _extract(members: list[_Member], target: Path, open_member: _Opener, archive_path: Path) -> None:
    """Write the checked members into a staging folder beside ``target``, then move them into place."""
    import shutil

    from ._atomic import fsync_directory

    if target.exists():
        _check_merge_plan(members, target, archive_path)
    created = [folder for folder in (target.parent, *target.parent.parents) if not folder.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _make_staging_folder(target)
    try:
        for member in members:
            _write_member(member, staging, open_member, archive_path)
        for staged_folder, _dirs, _files in os.walk(staging):  # make the new entries durable before they show
            fsync_directory(staged_folder)
        if target.exists():
            _merge(staging, target)
            shutil.rmtree(staging)
        else:
            os.rename(staging, target)
        fsync_directory(target.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in created:  # deepest first: leave no trace of a failed extraction
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def _write_member(member: _Member, staging: Path, open_member: _Opener, archive_path: Path) -> None:
    """Write one checked member under the staging folder.

    Files are written in place and fsynced: the staging folder is the unit that appears atomically in the target, so
    a temp-name-and-rename per file (``atomic_write``) would add two syscalls and a directory fsync per member (about
    4x slower on archives of many small files) without making anything safer.
    """
    import shutil

    dest = staging.joinpath(*member.parts)
    if member.kind == "dir":
        dest.mkdir(parents=True, exist_ok=True)
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    if member.kind == "symlink":
        if dest.is_symlink():
            dest.unlink()
        os.symlink(member.link, dest)
        return
    if member.kind == "hardlink":  # stored as a copy: a hard link into the target could surprise its owner
        with open(dest, "wb") as out, open(staging.joinpath(*member.link.split("/")), "rb") as src:
            shutil.copyfileobj(src, out, _COPY_BUFFER)
            _flush_to_disk(out)
    else:
        src_file = open_member(member)
        if src_file is None:
            raise ArchiveError(f"cannot read member {member.name!r}", path=archive_path)
        with open(dest, "wb") as out, src_file:
            _copy_limited(src_file, out, member, archive_path)
            _flush_to_disk(out)
    if member.mode is not None:
        os.chmod(dest, (member.mode & 0o755) | 0o600)  # no setuid/setgid/sticky, no group/other write
    if member.mtime is not None:
        os.utime(dest, (member.mtime, member.mtime))


def _flush_to_disk(file: IO[bytes]) -> None:
    file.flush()
    os.fsync(file.fileno())


def _copy_limited(src: IO[bytes], out: IO[bytes], member: _Member, archive_path: Path) -> None:
    """Copy a member's data, refusing more bytes than its header declared (the limits were checked on those)."""
    written = 0
    while chunk := src.read(_COPY_BUFFER):
        written += len(chunk)
        if written > member.size:
            raise ArchiveError(f"member {member.name!r} is larger than its header declares", path=archive_path)
        out.write(chunk)


def _make_staging_folder(target: Path) -> Path:
    """Create an empty hidden folder beside ``target`` (same file system, so the final move is a rename)."""
    import secrets

    while True:
        staging = target.with_name(f".{target.name}.{secrets.token_hex(4)}.unarchive")
        try:
            staging.mkdir()
        except FileExistsError:
            continue
        return staging


def _check_merge_plan(members: list[_Member], target: Path, archive_path: Path) -> None:
    """Refuse, before writing, members that would go through a link of the existing target or replace a folder."""
    for member in members:
        _check_existing_path(member, member.parts, target, archive_path, is_link_target=False)
        if member.kind == "symlink" and member.resolved:
            _check_existing_path(member, member.resolved, target, archive_path, is_link_target=True)


def _check_existing_path(
    member: _Member, parts: tuple[str, ...], target: Path, archive_path: Path, *, is_link_target: bool
) -> None:
    for depth in range(1, len(parts) + 1):
        prefix = parts[:depth]
        try:
            mode = target.joinpath(*prefix).lstat().st_mode
        except FileNotFoundError:
            return  # everything below is new
        last = depth == len(parts)
        where = "/".join(prefix)
        if is_link_target:
            if not last and stat.S_ISLNK(mode):
                raise UnsafeArchiveError(
                    member.name, f"symbolic link would go through the target's link {where!r}", path=archive_path
                )
            continue
        if stat.S_ISLNK(mode) and (not last or member.kind == "dir"):
            raise UnsafeArchiveError(
                member.name, f"the target already has a symbolic link at {where!r}", path=archive_path
            )
        if not last and not stat.S_ISDIR(mode):
            raise UnsafeArchiveError(member.name, f"the target already has a file at {where!r}", path=archive_path)
        if last and stat.S_ISDIR(mode) != (member.kind == "dir"):
            raise UnsafeArchiveError(
                member.name, "conflicts with an existing entry of another type in the target", path=archive_path
            )


def _merge(staging: Path, target: Path) -> None:
    """Move the staged tree into an existing folder: new folders are renamed whole, files replace files."""
    from pathlib import Path

    for entry in os.scandir(staging):
        dest = target / entry.name
        if entry.is_dir(follow_symlinks=False) and dest.is_dir() and not dest.is_symlink():
            _merge(Path(entry.path), dest)
        elif entry.is_dir(follow_symlinks=False) and not os.path.lexists(dest):
            os.rename(entry.path, dest)
        else:
            os.replace(entry.path, dest)
