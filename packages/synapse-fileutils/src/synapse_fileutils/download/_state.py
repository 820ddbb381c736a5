"""The partial file an interrupted download leaves, and the lock that serializes the calls for one target.

A download streams into ``.<name>.incomplete`` beside its target, with a JSON sidecar that records what a later call
needs to resume it (the URL without its query string, the validator, the size); ``.<name>.lock`` lets one call at a
time (thread or process) work on the target. Nothing here touches the network.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from .._atomic import atomic_write, fsync_directory, try_lock
from ..checksum import calculate_checksum
from ..http.retry import TRANSIENT_STATUSES
from ..logs import get_logger
from ._transfer import ResumePoint, clean_url
from .errors import ChecksumMismatchError, DownloadError, DownloadInProgressError, DownloadTooLargeError

__all__ = ["LOCK_WAIT_SECONDS", "Partial", "alock", "lock", "lock_path", "verify"]

logger = get_logger("synapse_fileutils.download")

#: How long a download waits for another call (thread or process) that is downloading the same target, before it
#: gives up with :class:`DownloadInProgressError`.
LOCK_WAIT_SECONDS = 600.0


def verify(path: Path, url: str, checksum: str | None, algorithm: str, attempts: int) -> None:
    if checksum is None:
        return
    actual = calculate_checksum(path, algorithm)
    if actual != checksum.lower():
        raise ChecksumMismatchError(
            url=url, algorithm=algorithm, expected=checksum.lower(), actual=actual, attempts=attempts
        )


def _sidecar_url(url: str) -> str:
    """The URL a partial file belongs to: no query, no fragment, no user info (none of them may reach the disk)."""
    parts = urlsplit(clean_url(url))
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


class Partial:
    """The files beside ``target`` that let a later call resume: ``.<name>.incomplete`` and its JSON sidecar.

    The sidecar records the URL (without query string), the validator and the size of the response the partial
    bytes came from; a later call resumes only if the URL matches and a validator is known, and the server has the
    last word through ``If-Range``. The caller holds the target's lock while it uses these files.
    """

    def __init__(self, target: Path, url: str) -> None:
        self.target = target
        self.url = _sidecar_url(url)
        self.path = target.with_name(f".{target.name}.incomplete")
        self.sidecar = target.with_name(f".{target.name}.incomplete.json")

    def resume_point(self, max_size: int | None) -> ResumePoint | None:
        """What an earlier call left that this one can continue, or ``None`` (and the leftovers are removed)."""
        import json

        try:
            size = os.lstat(self.path).st_size if self.path.is_file() and not self.path.is_symlink() else 0
            meta = json.loads(self.sidecar.read_text(encoding="utf-8")) if size else None
        except (OSError, ValueError):
            meta = None
        if isinstance(meta, dict) and meta.get("url") == self.url and isinstance(meta.get("validator"), str):
            total = meta.get("total")
            total = total if isinstance(total, int) and total >= 0 else None
            fits = (total is None or size <= total) and (max_size is None or size <= max_size)
            if fits and meta["validator"]:
                logger.info("%s: resuming an earlier download at byte %d", self.target.name, size)
                return ResumePoint(offset=size, validator=meta["validator"], total=total)
        self.discard()
        return None

    def open(self, resume: ResumePoint | None) -> BinaryIO:
        """Open the partial file for writing, at its end when resuming, else emptied."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
        if resume is None:
            flags |= os.O_TRUNC
        file = os.fdopen(os.open(self.path, flags, 0o666), "r+b")
        file.seek(0, os.SEEK_END)
        return file

    def record(self, validator: str | None, total: int | None) -> None:
        """Write the sidecar before a full body is written (or remove it if that body cannot be resumed)."""
        import json

        if validator is None:
            with contextlib.suppress(FileNotFoundError):
                self.sidecar.unlink()
            return
        meta = {"url": self.url, "validator": validator, "total": total}
        # Not fsynced: the partial bytes are not either, and the rename alone keeps the sidecar whole.
        with atomic_write(self.sidecar, durable=False) as file:
            file.write(json.dumps(meta).encode("utf-8"))

    def commit(self, url: str, checksum: str | None, algorithm: str, attempts: int) -> None:
        """Verify the complete partial file, fsync it and rename it onto the target; remove the sidecar."""
        try:
            verify(self.path, url, checksum, algorithm, attempts)
        except ChecksumMismatchError:
            self.discard()
            raise
        with open(self.path, "rb") as written:
            os.fsync(written.fileno())
        os.replace(self.path, self.target)
        fsync_directory(self.target.parent)
        with contextlib.suppress(FileNotFoundError):
            self.sidecar.unlink()

    def after_failure(self, exc: BaseException) -> None:
        """Keep a resumable partial after a transient failure or an interruption; remove it after a final no."""
        definitive = isinstance(exc, DownloadTooLargeError | ChecksumMismatchError) or (
            isinstance(exc, DownloadError) and exc.status is not None and exc.status not in TRANSIENT_STATUSES
        )
        try:
            keep = not definitive and self.sidecar.is_file() and self.path.is_file() and self.path.stat().st_size > 0
        except OSError:
            keep = False
        if keep:
            logger.info("%s: kept the partial download for the next call", self.target.name)
        else:
            self.discard()

    def discard(self) -> None:
        """Remove the partial file and its sidecar."""
        for path in (self.path, self.sidecar):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def lock(target: Path, url: str) -> int:
    """Wait (bounded) for the exclusive lock on ``target``'s downloads and return its descriptor."""
    import time

    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.01
    while (fd := try_lock(lock_path(target))) is None:
        if time.monotonic() >= deadline:
            raise DownloadInProgressError(url=url, waited=LOCK_WAIT_SECONDS)
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
    return fd


async def alock(target: Path, url: str) -> int:
    """Like :func:`lock`, waiting on the event loop."""
    import asyncio
    import time

    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.01
    while (fd := await asyncio.to_thread(try_lock, lock_path(target))) is None:
        if time.monotonic() >= deadline:
            raise DownloadInProgressError(url=url, waited=LOCK_WAIT_SECONDS)
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)
    return fd
