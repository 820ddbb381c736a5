"""File helpers shared by the converters: atomic JSON and text writes, image placement, safe names.

Every file a converter writes goes through ``synapse_fileutils._atomic.atomic_write``, so a target file is either
complete or absent, even when a conversion stops half way.

Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_json(folder / "a.json", {"k": 1})
    >>> (folder / "a.json").read_text()
    '{"k": 1}'
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from synapse_fileutils.atomic import atomic_path, atomic_write

from .errors import ConversionError, ItemError

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = [
    "BackgroundWriter",
    "ImageMode",
    "StagedOutput",
    "place_image",
    "place_new",
    "read_file",
    "safe_member",
    "write_bytes",
    "write_json",
    "write_new",
    "write_text",
]

#: How images reach the target: copied, hard-linked (falls back to a copy across file systems), symlinked, or not at
#: all (annotations only).
ImageMode = Literal["copy", "link", "symlink", "none"]


def write_json(path: Path, data: Any, *, durable: bool = True) -> None:
    """Write ``data`` as UTF-8 JSON to ``path`` atomically, creating the folder.

    Args:
        path: Target file.
        data: Anything ``json.dumps`` accepts.
        durable: Fsync before the rename (``BackgroundWriter`` passes ``False`` and syncs once at the end).

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "sub" / "b.json"
        >>> write_json(target, [1, "é"])
        >>> target.read_text(encoding="utf-8")
        '[1, "é"]'
    """
    write_text(path, json.dumps(data, ensure_ascii=False), durable=durable)


def write_text(path: Path, text: str, *, durable: bool = True) -> None:
    r"""Write ``text`` as UTF-8 to ``path`` atomically, creating the folder.

    Args:
        path: Target file.
        text: The whole content.
        durable: Fsync before the rename.

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "c.txt"
        >>> write_text(target, "line\n")
        >>> target.read_text()
        'line\n'
    """
    write_bytes(path, text.encode("utf-8"), durable=durable)


def write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    r"""Write ``data`` to ``path`` atomically, creating the folder.

    Args:
        path: Target file.
        data: The whole content.
        durable: Fsync before the rename.

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "d.bin"
        >>> write_bytes(target, b"\x00")
        >>> target.read_bytes()
        b'\x00'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, durable=durable) as file:
        file.write(data)


#: Flags of a plain read-only open (no buffered file object around it).
READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_READ_CHUNK = 16 * 1024


def read_file(path: str | os.PathLike[str]) -> bytes:
    """Return the whole content of ``path``, read with plain ``os.open`` / ``os.read``.

    A small annotation file takes four system calls this way; ``open(path, "rb").read()`` makes seven or eight
    (``fstat`` twice, ``ioctl``, ``lseek``), a noticeable share of a conversion that reads thousands of them.

    Args:
        path: The file.

    Returns:
        Its bytes.

    Raises:
        OSError: It cannot be opened or read (``FileNotFoundError``, ``IsADirectoryError``...).

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
        >>> _ = target.write_bytes(b"abc")
        >>> read_file(target)
        b'abc'
    """
    fd = os.open(path, READ_FLAGS)
    try:
        first = os.read(fd, _READ_CHUNK)
        if not first:
            return first
        chunks = [first]
        while chunk := os.read(fd, _READ_CHUNK):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return first if len(chunks) == 1 else b"".join(chunks)


def safe_member(root: Path, name: str) -> Path:
    """Resolve ``name`` (a relative, ``/``-separated path from a dataset file) inside ``root`` or refuse it.

    Args:
        root: The folder the name must stay in.
        name: A relative path taken from the data (a COCO ``file_name``, a VOC ``filename``...).

    Returns:
        ``root / name``.

    Raises:
        ItemError: The name is empty, absolute, or climbs out of ``root`` with ``..``.

    Example:
        >>> from pathlib import Path
        >>> safe_member(Path("/data/images"), "train/a.jpg").as_posix()
        '/data/images/train/a.jpg'
        >>> safe_member(Path("/data/images"), "../secret")
        Traceback (most recent call last):
        ...
        synapse_plugins.converters.errors.ItemError: ../secret: path leaves the dataset folder
    """
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not name or name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
        raise ItemError(name, "path leaves the dataset folder")
    return root.joinpath(*parts)


def place_image(source: Path, target: Path, mode: ImageMode, *, durable: bool = True) -> None:
    """Put the image ``source`` at ``target`` atomically (a temp name, then a rename), creating the folder.

    The placing itself is [`place_new`][synapse_plugins.converters.files.place_new]'s, done on the temp name.

    Args:
        source: The existing image.
        target: Where it goes (an existing file is replaced).
        mode: ``copy``, ``link``, ``symlink`` or ``none`` (do nothing).
        durable: Fsync before the rename.

    Raises:
        ItemError: The source image cannot be read.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.jpg").write_bytes(b"img")
        >>> place_image(folder / "a.jpg", folder / "out" / "a.jpg", "copy")
        >>> (folder / "out" / "a.jpg").read_bytes()
        b'img'
    """
    if mode == "none":
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target, durable=durable) as tmp:
        place_new(source, tmp, mode)


class BackgroundWriter:
    """Run file writes on a few threads while the caller converts the next items.

    Every file is still written with ``atomic_write`` (temp file, then rename), so no target file is ever partial, but
    without a fsync each: one fsync per small file is what made a folder conversion slow (thousands of journal
    commits). Instead :meth:`close` flushes everything once with ``os.sync``, so the dataset is on disk when the
    conversion returns. Submitted functions must accept a ``durable`` keyword (all writers in this module do). At
    most ``max_pending`` writes wait at a time, so memory stays flat however many items there are. The first write
    that fails stops the conversion with a
    [`ConversionError`][synapse_plugins.converters.errors.ConversionError] (the disk is full or the target is not
    writable: the next items would fail the same way).

    Args:
        workers: Writer threads.
        max_pending: Writes queued or running at most; ``submit`` waits beyond that.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> with BackgroundWriter() as writer:
        ...     writer.submit(write_text, folder / "a.txt", "a")
        >>> (folder / "a.txt").read_text()
        'a'
    """

    def __init__(self, workers: int = 2, max_pending: int = 64) -> None:
        from concurrent.futures import ThreadPoolExecutor  # loads logging and more: only when a conversion runs

        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="converter-writer")
        self._slots = threading.BoundedSemaphore(max_pending)
        self._errors: list[BaseException] = []
        self._wrote = False

    def submit(self, function: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Queue ``function(*args, **kwargs)`` (called with ``durable=False``).

        Args:
            function: A write (``write_text``, ``write_json``, ``place_image``...).
            *args: Its positional arguments.
            **kwargs: Its keyword arguments.

        Raises:
            ConversionError: An earlier write failed.

        Example:
            >>> import pathlib, tempfile
            >>> with BackgroundWriter(workers=1) as writer:
            ...     writer.submit(write_json, pathlib.Path(tempfile.mkdtemp()) / "b.json", {})
        """
        self.submit_plain(function, *args, durable=False, **kwargs)

    def submit_plain(self, function: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Queue ``function(*args, **kwargs)`` as given.

        Args:
            function: Any write.
            *args: Its positional arguments.
            **kwargs: Its keyword arguments.

        Raises:
            ConversionError: An earlier write failed.

        Example:
            >>> import pathlib, tempfile
            >>> with BackgroundWriter(workers=1) as writer:
            ...     writer.submit_plain(write_new, pathlib.Path(tempfile.mkdtemp()) / "c.txt", b"c")
        """
        self._raise_first()
        self._slots.acquire()
        future = self._pool.submit(function, *args, **kwargs)
        self._wrote = True
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        self._slots.release()
        error = future.exception()
        if error is not None:
            self._errors.append(error)

    def _raise_first(self) -> None:
        if self._errors:
            error = self._errors[0]
            if isinstance(error, ConversionError):
                raise error
            raise ConversionError("target", f"writing failed: {error}") from error

    def close(self) -> None:
        """Wait for the queued writes, then flush them to disk with one ``os.sync``.

        Raises:
            ConversionError: A write failed.

        Example:
            >>> BackgroundWriter().close()
        """
        self._pool.shutdown(wait=True)
        self._raise_first()
        if self._wrote:
            os.sync()  # one flush for every file written, instead of one fsync each

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._pool.shutdown(wait=True)
        if kind is None:
            self._raise_first()


def _open_new(path: Path) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags, 0o666)
    except FileNotFoundError:  # the folder is made on the first file that needs it, not checked for every file
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, flags, 0o666)


def write_new(path: Path, data: bytes) -> None:
    r"""Create ``path`` (never replacing a file) and write ``data``, creating the folder when missing.

    Meant for a [`StagedOutput`][synapse_plugins.converters.files.StagedOutput] folder, which nobody reads until
    it is complete: no temp name or rename is needed there.

    Args:
        path: A file that does not exist yet.
        data: The whole content.

    Raises:
        FileExistsError: The file exists.

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "a" / "b.txt"
        >>> write_new(target, b"x\n")
        >>> target.read_bytes()
        b'x\n'
    """
    fd = _open_new(path)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def place_new(source: Path, target: Path, mode: ImageMode) -> None:
    """Put the image ``source`` at the new path ``target`` (inside a staged output): copy, hard link or symlink.

    Args:
        source: The existing image.
        target: A path that does not exist yet; its folder is created when missing.
        mode: ``copy``, ``link`` (a copy across file systems), ``symlink`` (absolute) or ``none``.

    Raises:
        ItemError: The source image cannot be read.

    Example:
        >>> import pathlib, tempfile
        >>> staged = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (staged / "src.png").write_bytes(b"png")
        >>> place_new(staged / "src.png", staged / "images" / "b.png", "link")
        >>> (staged / "images" / "b.png").stat().st_nlink
        2
    """
    if mode == "none":
        return
    try:
        if mode in ("link", "symlink"):
            try:
                try:
                    _link(source, target, mode)
                except FileNotFoundError:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    _link(source, target, mode)
                return
            except OSError:
                if mode == "symlink" or not source.is_file():
                    raise
                # another file system or no hard links there: copy instead
        with open(source, "rb") as src:
            fd = _open_new(target)
            with open(fd, "wb", closefd=True) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    except OSError as exc:
        raise ItemError(source.name, f"cannot place image: {exc.strerror or exc}") from exc


def _link(source: Path, target: Path, mode: ImageMode) -> None:
    if mode == "symlink":
        os.symlink(source.resolve(), target)
    else:
        os.link(source, target)


class StagedOutput:
    r"""The files of one conversion, built in a hidden folder inside the target and moved into place at the end.

    Nothing appears under a final name until the conversion has finished: files are written with plain creates
    (no temp name and rename per file, which was a third of the syscalls of a conversion) on a
    [`BackgroundWriter`][synapse_plugins.converters.files.BackgroundWriter]'s threads into ``root``, and
    :meth:`commit` flushes them to disk with one ``os.sync`` and renames the few top-level entries into the target.
    A conversion that stops (strict mode, a full disk) calls :meth:`discard` and leaves the target empty.

    Args:
        target: The (existing, empty) target folder.

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp())
        >>> out = StagedOutput(target)
        >>> out.write(out.root / "labels" / "a.txt", b"0 0.5 0.5 1 1\n")
        >>> sorted(p.name for p in target.iterdir() if not p.name.startswith("."))
        []
        >>> out.commit()
        >>> (target / "labels" / "a.txt").read_text()
        '0 0.5 0.5 1 1\n'
    """

    #: Files handed to the writer thread in one job, and the most bytes one job holds: one hand-over per file (a
    #: future, a semaphore, a wake-up) cost more CPU than creating the file. Two jobs wait at most, so about
    #: 200 KB of content is queued however many items there are.
    BATCH_FILES = 32
    BATCH_BYTES = 64 * 1024

    def __init__(self, target: Path) -> None:
        self.target = target
        self.root = Path(tempfile.mkdtemp(prefix=".converting-", dir=target))
        self._writer = BackgroundWriter(workers=1, max_pending=2)
        self._batch: list[tuple[Path, bytes | Path, ImageMode]] = []
        self._batch_bytes = 0

    def write(self, path: Path, data: bytes) -> None:
        """Queue a new file under ``root``.

        Args:
            path: Its path under ``root``.
            data: Its content.

        Raises:
            ConversionError: An earlier write failed.
        """
        self._batch.append((path, data, "none"))
        self._batch_bytes += len(data)
        if len(self._batch) >= self.BATCH_FILES or self._batch_bytes >= self.BATCH_BYTES:
            self._flush()

    def place(self, source: Path, path: Path, mode: ImageMode) -> None:
        """Queue placing an image under ``root``.

        Args:
            source: The image.
            path: Its path under ``root``.
            mode: How it is placed.

        Raises:
            ConversionError: An earlier write failed.
        """
        if mode != "none":
            self._batch.append((path, source, mode))
            if len(self._batch) >= self.BATCH_FILES:
                self._flush()

    def _flush(self) -> None:
        batch, self._batch, self._batch_bytes = self._batch, [], 0
        if batch:
            self._writer.submit_plain(_write_batch, batch)

    def commit(self) -> None:
        """Wait for the writes, flush them to disk, and move everything into the target.

        Raises:
            ConversionError: A write failed (the staged files are removed).
        """
        try:
            self._flush()
            self._writer.close()
        except BaseException:
            self.discard()
            raise
        for entry in sorted(os.listdir(self.root)):
            os.rename(self.root / entry, self.target / entry)
        self.root.rmdir()

    def discard(self) -> None:
        """Stop: wait for the queued writes and remove everything staged."""
        self._batch, self._batch_bytes = [], 0
        with contextlib.suppress(ConversionError):
            self._writer.close()
        shutil.rmtree(self.root, ignore_errors=True)


def _write_batch(batch: list[tuple[Path, bytes | Path, ImageMode]]) -> None:
    """Write a staged batch in order: ``(path, content, _)`` creates a file, ``(path, image, mode)`` places one."""
    for path, what, mode in batch:
        if isinstance(what, bytes):
            write_new(path, what)
        else:
            place_new(what, path, mode)
