"""Download files over HTTP(S): streamed, retried, resumed, verified, cached, and written atomically.

- :func:`download_file` / :func:`adownload_file` download one URL (blocking with a pooled :mod:`requests` session,
  or truly async with :mod:`aiohttp`).
- :func:`files_url_to_path`, :func:`afiles_url_to_path`, :func:`files_url_to_path_from_objs` and
  :func:`afiles_url_to_path_from_objs` replace the URLs inside platform records with local paths, downloading with
  bounded concurrency.

Each download streams the body in chunks to a partial file beside the target (``.<name>.incomplete``), retries
transient failures (5xx, 429 with ``Retry-After``, dropped connections, truncated bodies) with exponential backoff,
resumes after an interruption with ``Range`` + ``If-Range``, optionally checks a checksum, then fsyncs and renames the
partial file onto the target: a file under the final name is always complete. A partial file left by a failed call,
a cancelled task or a killed process is resumed by the next call for the same target (a JSON sidecar records the
URL without its query string and the validator); a lock file serializes the calls that download one target. Files are
cached under a name derived from the URL without its query string (presigned URLs change their query on every
request).

Example:
    >>> from synapse_fileutils.download import cache_file_name
    >>> cache_file_name("https://bucket.example.com/a/cat.jpg?X-Amz-Signature=abc")
    '7809148c0923e5cf76029b6e99911d59.jpg'
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, MutableMapping, MutableSequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, overload
from urllib.parse import urlsplit

from ._atomic import atomic_write, fsync_directory, release_lock, try_lock
from ._http_async import afetch, import_aiohttp, new_session
from ._http_sync import fetch, shared_session
from ._http_transfer import (
    DownloadOptions,
    ResumePoint,
    RetryPolicy,
    cache_file_name,
    clean_url,
    default_download_dir,
)
from .checksum import calculate_checksum
from .download_errors import (
    ChecksumMismatchError,
    DownloadError,
    DownloadInProgressError,
    DownloadTooLargeError,
)
from .http.origin import origin_of
from .http.redact import redact_url
from .http.retry import TRANSIENT_STATUSES
from .logs import get_logger
from .progress import ProgressCallback, ProgressReporter, resolve_progress

if TYPE_CHECKING:
    import aiohttp
    import requests

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "LOCK_WAIT_SECONDS",
    "ChecksumMismatchError",
    "DownloadError",
    "DownloadInProgressError",
    "DownloadTooLargeError",
    "RetryPolicy",
    "adownload_file",
    "afiles_url_to_path",
    "afiles_url_to_path_from_objs",
    "cache_file_name",
    "clean_url",
    "default_download_dir",
    "download_file",
    "files_url_to_path",
    "files_url_to_path_from_objs",
    "redact_url",
    "shared_session",
]

logger = get_logger("synapse_fileutils.download")

T = TypeVar("T")

#: Downloads in flight at once in the batch functions, unless ``max_workers`` says otherwise.
DEFAULT_MAX_WORKERS = 16

Progress = ProgressReporter | ProgressCallback | bool | None

#: How long a download waits for another call (thread or process) that is downloading the same target, before it
#: gives up with :class:`DownloadInProgressError`.
LOCK_WAIT_SECONDS = 600.0


# --- one file -------------------------------------------------------------------------------------------------------


def _check_url(url: str) -> None:
    if not isinstance(url, str) or urlsplit(url).scheme.lower() not in ("http", "https"):
        shown = redact_url(url) if isinstance(url, str) else type(url).__name__
        raise ValueError(f"only http and https URLs can be downloaded, got {shown}")
    origin_of(url)  # UnsafeURLError (a ValueError) for a URL the parsers read differently


def _target(url: str, path_download: str | os.PathLike[str] | None, name: str | None) -> Path:
    file_name = cache_file_name(url, name)  # validates `name` before anything is created
    folder = Path(path_download) if path_download is not None else default_download_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / file_name


def _is_cache_hit(target: Path, checksum: str | None, algorithm: str, max_size: int | None = None) -> bool:
    if not target.is_file():
        return False
    if max_size is not None and target.stat().st_size > max_size:
        return False  # fetched earlier under a larger limit: ask again, so this call's limit is enforced
    if checksum is None or calculate_checksum(target, algorithm) == checksum.lower():
        return True
    logger.warning("%s: cached file has a different %s checksum; downloading it again", target.name, algorithm)
    return False


def _verify(path: Path, url: str, checksum: str | None, algorithm: str, attempts: int) -> None:
    if checksum is None:
        return
    actual = calculate_checksum(path, algorithm)
    if actual != checksum.lower():
        raise ChecksumMismatchError(
            url=url, algorithm=algorithm, expected=checksum.lower(), actual=actual, attempts=attempts
        )


def _prepare(
    url: str,
    path_download: str | os.PathLike[str] | None,
    name: str | None,
    *,
    use_cached: bool,
    checksum: str | None,
    algorithm: str,
    max_size: int | None = None,
) -> tuple[Path, bool]:
    target = _target(url, path_download, name)
    return target, use_cached and _is_cache_hit(target, checksum, algorithm, max_size)


def _options(
    connect_timeout: float,
    read_timeout: float,
    retry: RetryPolicy | None,
    headers: Mapping[str, str] | None,
    max_size: int | None = None,
) -> DownloadOptions:
    return DownloadOptions(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retry=retry if retry is not None else RetryPolicy(),
        headers=dict(headers) if headers else None,
        max_size=max_size,
    )


# --- the partial file an interrupted download leaves, across calls and processes ------------------------------------


def _sidecar_url(url: str) -> str:
    """The URL a partial file belongs to: no query, no fragment, no user info (none of them may reach the disk)."""
    parts = urlsplit(clean_url(url))
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


class _Partial:
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
            _verify(self.path, url, checksum, algorithm, attempts)
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


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def _lock(target: Path, url: str) -> int:
    """Wait (bounded) for the exclusive lock on ``target``'s downloads and return its descriptor."""
    import time

    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.01
    while (fd := try_lock(_lock_path(target))) is None:
        if time.monotonic() >= deadline:
            raise DownloadInProgressError(url=url, waited=LOCK_WAIT_SECONDS)
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
    return fd


async def _alock(target: Path, url: str) -> int:
    """Like :func:`_lock`, waiting on the event loop."""
    import asyncio
    import time

    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    pause = 0.01
    while (fd := await asyncio.to_thread(try_lock, _lock_path(target))) is None:
        if time.monotonic() >= deadline:
            raise DownloadInProgressError(url=url, waited=LOCK_WAIT_SECONDS)
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)
    return fd


def _download_locked(
    url: str,
    target: Path,
    options: DownloadOptions,
    reporter: ProgressReporter,
    session: requests.Session | None,
    *,
    use_cached: bool,
    checksum: str | None,
    algorithm: str,
) -> None:
    """Download ``url`` onto ``target``; the caller holds the target's lock."""
    if use_cached and _is_cache_hit(target, checksum, algorithm, options.max_size):
        return  # another call finished it while this one waited for the lock
    partial = _Partial(target, url)
    resume = partial.resume_point(options.max_size)
    try:
        with partial.open(resume) as file:
            transfer = fetch(url, file, options, reporter, session, resume=resume, on_validator=partial.record)
        partial.commit(url, checksum, algorithm, transfer.attempts)
    except BaseException as exc:
        partial.after_failure(exc)
        raise


async def _run_to_end(function: Callable[..., T], *args: Any) -> T:
    """Run ``function`` in a worker thread; if the caller is cancelled meanwhile, let it finish before re-raising."""
    import asyncio

    task = asyncio.ensure_future(asyncio.to_thread(function, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await task
        raise


async def _adownload_locked(
    url: str,
    target: Path,
    options: DownloadOptions,
    reporter: ProgressReporter,
    session: aiohttp.ClientSession,
    *,
    use_cached: bool,
    checksum: str | None,
    algorithm: str,
) -> None:
    """Do what :func:`_download_locked` does without blocking the event loop."""
    import asyncio

    if use_cached and await asyncio.to_thread(_is_cache_hit, target, checksum, algorithm, options.max_size):
        return
    partial = _Partial(target, url)
    resume = await asyncio.to_thread(partial.resume_point, options.max_size)
    try:
        file = await _run_to_end(partial.open, resume)
        try:
            transfer = await afetch(url, file, options, reporter, session, resume=resume, on_validator=partial.record)
        finally:
            await _run_to_end(file.close)
        await _run_to_end(partial.commit, url, checksum, algorithm, transfer.attempts)
    except BaseException as exc:
        await _run_to_end(partial.after_failure, exc)
        raise


@overload
def download_file(
    url: str,
    path_download: str | os.PathLike[str] | None = ...,
    name: str | None = ...,
    coerce: None = ...,
    use_cached: bool = ...,
    *,
    checksum: str | None = ...,
    checksum_algorithm: str = ...,
    connect_timeout: float = ...,
    read_timeout: float = ...,
    retry: RetryPolicy | None = ...,
    headers: Mapping[str, str] | None = ...,
    progress: Progress = ...,
    session: requests.Session | None = ...,
    max_size: int | None = ...,
) -> Path: ...


@overload
def download_file(
    url: str,
    path_download: str | os.PathLike[str] | None = ...,
    name: str | None = ...,
    *,
    coerce: Callable[[Path], T],
    use_cached: bool = ...,
    checksum: str | None = ...,
    checksum_algorithm: str = ...,
    connect_timeout: float = ...,
    read_timeout: float = ...,
    retry: RetryPolicy | None = ...,
    headers: Mapping[str, str] | None = ...,
    progress: Progress = ...,
    session: requests.Session | None = ...,
    max_size: int | None = ...,
) -> T: ...


def download_file(
    url: str,
    path_download: str | os.PathLike[str] | None = None,
    name: str | None = None,
    coerce: Callable[[Path], T] | None = None,
    use_cached: bool = True,
    *,
    checksum: str | None = None,
    checksum_algorithm: str = "sha1",
    connect_timeout: float = 10.0,
    read_timeout: float = 60.0,
    retry: RetryPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    progress: Progress = None,
    session: requests.Session | None = None,
    max_size: int | None = None,
) -> Path | T:
    """Download ``url`` into the folder ``path_download`` and return the local path.

    The body is streamed in 1 MiB chunks to a temp file in the same folder; memory stays flat whatever the size.
    Transient failures (HTTP 408/425/429/5xx, refused or dropped connections, timeouts, truncated bodies) are retried
    with exponential backoff, honouring ``Retry-After``. After an interruption only the missing bytes are requested
    (``Range`` + ``If-Range``); if the file changed on the server meanwhile, it is downloaded again from the start.
    When everything arrived (and matches ``checksum``), the temp file is fsynced and renamed onto the target, so a
    file under the final name is never partial.

    The temp file is ``.<name>.incomplete`` beside the target. After a transient failure, an interruption or a killed
    process it is kept with a sidecar (``.<name>.incomplete.json``: the URL without query string, the ``ETag`` or
    ``Last-Modified``, the size), and the next call for the same URL and target resumes it from its first request.
    A definitive failure (404, 403..., checksum mismatch, too large) removes it. Calls for the same target, from
    threads or processes, take turns through a lock file (``.<name>.lock``); a call that finds the file finished by
    the one before it returns the cached file.

    Args:
        url: An ``http`` or ``https`` URL, presigned URLs included.
        path_download: Folder to save into, created if missing. ``None`` means the per-user cache folder
            (:func:`default_download_dir`).
        name: File name without extension; the URL's extension is appended. As in earlier releases, giving a name
            disables the cache (the file is downloaded again). Must not contain a folder part.
        coerce: Function applied to the path before it is returned (for example ``str``).
        use_cached: Return an existing file with the same name instead of downloading again. The name comes from the
            URL without its query string, so a new signature of the same object is still a cache hit.
        checksum: Expected hex digest of the content. A mismatch raises :class:`ChecksumMismatchError` and keeps
            nothing; a cached file that does not match is downloaded again.
        checksum_algorithm: The :mod:`hashlib` algorithm of ``checksum``.
        connect_timeout: Seconds to wait for a connection.
        read_timeout: Seconds to wait for the next bytes of the response (not for the whole body).
        retry: Retry policy; defaults to :class:`RetryPolicy()` (6 attempts, backoff from 0.5 s up to 30 s).
        headers: Extra request headers, such as ``Authorization``. They are never logged.
        progress: ``None`` shows a progress bar when stderr is a terminal; ``False`` hides it; or a
            :class:`~synapse_fileutils.progress.ProgressReporter`, or a ``callback(done_bytes, total_bytes)``.
        session: A :class:`requests.Session` to use instead of the shared pooled one (for proxies, client certs).
        max_size: Largest accepted file, in bytes (``None``: no limit). A larger file raises
            :class:`DownloadTooLargeError` as soon as that is known (from ``Content-Length``, or while streaming) and
            nothing is kept.

    Returns:
        The path of the downloaded file, or ``coerce(path)``.

    Raises:
        ValueError: If ``url`` is not http(s) or ``name`` contains a folder part.
        DownloadError: If the server refused the download (``.status`` 404, 403...) or transient failures outlasted
            the retries. Its ``.url`` has the query string redacted.
        ChecksumMismatchError: If ``checksum`` was given and the content does not match.
        DownloadTooLargeError: If ``max_size`` was given and the file is larger.
        DownloadInProgressError: If another call kept downloading the same target for longer than
            :data:`LOCK_WAIT_SECONDS`.

    Example:
        >>> import tempfile
        >>> from synapse_fileutils.download import download_file
        >>> folder = tempfile.mkdtemp()
        >>> download_file("ftp://example.com/a.txt", folder)
        Traceback (most recent call last):
        ...
        ValueError: only http and https URLs can be downloaded, got ftp://example.com/a.txt

        Against a real server (``python -m http.server``), with a checksum and the path as a string::

            path = download_file(
                "http://127.0.0.1:8000/data.csv", "downloads", coerce=str, checksum="a9993e36...", progress=False
            )
    """
    _check_url(url)
    options = _options(connect_timeout, read_timeout, retry, headers, max_size)
    target = _target(url, path_download, name)
    if name is not None:
        use_cached = False
    if not (use_cached and _is_cache_hit(target, checksum, checksum_algorithm, max_size)):
        reporter = resolve_progress(progress, target.name)
        lock = _lock(target, url)
        try:
            _download_locked(
                url,
                target,
                options,
                reporter,
                session,
                use_cached=use_cached,
                checksum=checksum,
                algorithm=checksum_algorithm,
            )
        finally:
            release_lock(_lock_path(target), lock)
            reporter.finish()
    return coerce(target) if coerce is not None else target


@overload
async def adownload_file(
    url: str,
    path_download: str | os.PathLike[str] | None = ...,
    name: str | None = ...,
    coerce: None = ...,
    use_cached: bool = ...,
    *,
    checksum: str | None = ...,
    checksum_algorithm: str = ...,
    connect_timeout: float = ...,
    read_timeout: float = ...,
    retry: RetryPolicy | None = ...,
    headers: Mapping[str, str] | None = ...,
    progress: Progress = ...,
    session: aiohttp.ClientSession | None = ...,
    max_size: int | None = ...,
) -> Path: ...


@overload
async def adownload_file(
    url: str,
    path_download: str | os.PathLike[str] | None = ...,
    name: str | None = ...,
    *,
    coerce: Callable[[Path], T],
    use_cached: bool = ...,
    checksum: str | None = ...,
    checksum_algorithm: str = ...,
    connect_timeout: float = ...,
    read_timeout: float = ...,
    retry: RetryPolicy | None = ...,
    headers: Mapping[str, str] | None = ...,
    progress: Progress = ...,
    session: aiohttp.ClientSession | None = ...,
    max_size: int | None = ...,
) -> T: ...


async def adownload_file(
    url: str,
    path_download: str | os.PathLike[str] | None = None,
    name: str | None = None,
    coerce: Callable[[Path], T] | None = None,
    use_cached: bool = True,
    *,
    checksum: str | None = None,
    checksum_algorithm: str = "sha1",
    connect_timeout: float = 10.0,
    read_timeout: float = 60.0,
    retry: RetryPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    progress: Progress = None,
    session: aiohttp.ClientSession | None = None,
    max_size: int | None = None,
) -> Path | T:
    """Download ``url`` like :func:`download_file`, without blocking the event loop.

    The same retry, resume (across calls and processes, sync or async), checksum, cache, locking and atomic-write
    rules apply. Network I/O runs on the event loop with
    :mod:`aiohttp`; disk writes, the checksum and the final fsync run in worker threads.

    Args:
        url: An ``http`` or ``https`` URL.
        path_download: Folder to save into; ``None`` means :func:`default_download_dir`.
        name: File name without extension (disables the cache, as in earlier releases).
        coerce: Function applied to the path before it is returned.
        use_cached: Return an existing file with the same name instead of downloading again.
        checksum: Expected hex digest of the content.
        checksum_algorithm: The :mod:`hashlib` algorithm of ``checksum``.
        connect_timeout: Seconds to wait for a connection.
        read_timeout: Seconds to wait for the next bytes of the response.
        retry: Retry policy; defaults to :class:`RetryPolicy()`.
        headers: Extra request headers; never logged.
        progress: As for :func:`download_file`.
        session: An open :class:`aiohttp.ClientSession` to reuse; by default one is opened and closed for this call.
        max_size: Largest accepted file, in bytes (``None``: no limit). A larger file raises
            :class:`DownloadTooLargeError` as soon as that is known (from ``Content-Length``, or while streaming) and
            nothing is kept.

    Returns:
        The path of the downloaded file, or ``coerce(path)``.

    Raises:
        ImportError: If aiohttp is not installed (``pip install 'synapse-fileutils[async]'``).
        ValueError: If ``url`` is not http(s) or ``name`` contains a folder part.
        DownloadError: If the server refused the download or transient failures outlasted the retries.
        ChecksumMismatchError: If ``checksum`` was given and the content does not match.
        DownloadTooLargeError: If ``max_size`` was given and the file is larger.
        DownloadInProgressError: If another call kept downloading the same target for longer than
            :data:`LOCK_WAIT_SECONDS`.

    Example:
        >>> import asyncio, tempfile
        >>> from synapse_fileutils.download import adownload_file
        >>> asyncio.run(adownload_file("file:///etc/passwd", tempfile.mkdtemp()))
        Traceback (most recent call last):
        ...
        ValueError: only http and https URLs can be downloaded, got file:///etc/passwd

        Many files at once share one session::

            async with aiohttp.ClientSession() as session:
                paths = await asyncio.gather(*(adownload_file(u, "downloads", session=session) for u in urls))
    """
    import asyncio

    import_aiohttp()
    _check_url(url)
    options = _options(connect_timeout, read_timeout, retry, headers, max_size)
    use_cached = use_cached and name is None
    # File system work runs in worker threads, batched into few hops: each hop costs more than a small write.
    target, hit = await asyncio.to_thread(
        _prepare,
        url,
        path_download,
        name,
        use_cached=use_cached,
        checksum=checksum,
        algorithm=checksum_algorithm,
        max_size=max_size,
    )
    if hit:
        return coerce(target) if coerce is not None else target
    reporter = resolve_progress(progress, target.name)
    own_session = session is None
    client = session if session is not None else new_session()
    lock = await _alock(target, url)
    try:
        await _adownload_locked(
            url,
            target,
            options,
            reporter,
            client,
            use_cached=use_cached,
            checksum=checksum,
            algorithm=checksum_algorithm,
        )
    finally:
        await asyncio.to_thread(release_lock, _lock_path(target), lock)
        reporter.finish()
        if own_session:
            await client.close()
    return coerce(target) if coerce is not None else target


# --- URLs inside records ----------------------------------------------------------------------------------------------


@dataclass
class _Slot:
    """One URL inside a record, and where its path goes."""

    container: MutableMapping[Any, Any] | MutableSequence[Any]
    key: Any
    url: str
    nested: bool  # True: container[key] is {"url": ...}; the url is replaced by "path"

    def apply(self, path: Any) -> None:
        if self.nested:
            entry = self.container[self.key]
            entry.pop("url", None)
            entry["path"] = path
        else:
            self.container[self.key] = path


def _slot_for(container: Any, key: Any) -> _Slot | None:
    value = container[key]
    if isinstance(value, str) and value:
        return _Slot(container, key, value, nested=False)
    if isinstance(value, MutableMapping) and isinstance(value.get("url"), str) and value["url"]:
        return _Slot(container, key, value["url"], nested=True)
    return None  # empty, already converted, or not a file entry


def _slots_of(files: Any, file_field: str | None = None) -> list[_Slot]:
    if file_field is not None:
        slot = _slot_for(files, file_field) if file_field in files else None
        return [slot] if slot is not None else []
    keys: Iterable[Any] = range(len(files)) if isinstance(files, MutableSequence) else list(files)
    return [slot for key in keys if (slot := _slot_for(files, key)) is not None]


def _slots_of_objs(objs: Any, files_fields: Iterable[str], is_list: bool) -> list[_Slot]:
    slots: list[_Slot] = []
    for obj in objs if is_list else [objs]:
        for files_field in files_fields:
            *parents, last = files_field.split(".")
            parent = obj
            try:
                for part in parents:
                    parent = parent[part]
                value = parent[last]
            except (KeyError, IndexError, TypeError):
                continue  # the record has no such field: nothing to download
            if isinstance(value, str):
                slots.extend(_slots_of(parent, last))
            elif isinstance(value, MutableMapping | MutableSequence):
                slots.extend(_slots_of(value))
    return slots


def _save_data_uri(uri: str, folder: Path) -> Path:
    """Decode a ``data:`` URI into a file named by its content hash (the platform sends small files inline)."""
    from .encoding import parse_data_uri

    decoded = parse_data_uri(uri)  # EncodingError (a ValueError) when malformed
    target = folder / (hashlib.md5(decoded.data, usedforsecurity=False).hexdigest() + (decoded.suffix or ".bin"))
    if not target.is_file():
        with atomic_write(target) as file:
            file.write(decoded.data)
    return target


def _batch_folder(path_download: str | os.PathLike[str] | None) -> Path:
    folder = Path(path_download) if path_download is not None else default_download_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _download_one(url: str, folder: Path, download_kwargs: dict[str, Any]) -> Path:
    path: Path = download_file(url, folder, progress=False, **download_kwargs)
    return path


def _run_batch(
    slots: list[_Slot],
    coerce: Callable[[Path], Any] | None,
    *,
    path_download: str | os.PathLike[str] | None,
    max_workers: int,
    progress: Progress,
    download_kwargs: dict[str, Any],
) -> None:
    if max_workers < 1:
        raise ValueError(f"max_workers must be at least 1, got {max_workers}")
    if not slots:
        return
    from concurrent.futures import ThreadPoolExecutor, as_completed

    folder = _batch_folder(path_download)
    urls = list(dict.fromkeys(slot.url for slot in slots))  # the same URL twice is downloaded once
    results: dict[str, Path] = {}
    reporter = resolve_progress(progress, "downloads", unit="files")
    reporter.start(len(urls))
    try:
        remote = []
        for url in urls:
            if url.startswith("data:"):
                results[url] = _save_data_uri(url, folder)
                reporter.advance(1)
            else:
                _check_url(url)
                remote.append(url)
        if remote:
            with ThreadPoolExecutor(min(max_workers, len(remote)), thread_name_prefix="synapse-download") as pool:
                futures = {pool.submit(_download_one, url, folder, download_kwargs): url for url in remote}
                try:
                    for future in as_completed(futures):
                        results[futures[future]] = future.result()
                        reporter.advance(1)
                except BaseException:
                    for future in futures:  # the first failure wins: drop what has not started
                        future.cancel()
                    raise
    finally:
        reporter.finish()
    for slot in slots:  # only now, so a failed batch leaves the records as they were
        slot.apply(coerce(results[slot.url]) if coerce is not None else results[slot.url])


async def _arun_batch(
    slots: list[_Slot],
    coerce: Callable[[Path], Any] | None,
    *,
    path_download: str | os.PathLike[str] | None,
    max_workers: int,
    progress: Progress,
    download_kwargs: dict[str, Any],
) -> None:
    if max_workers < 1:
        raise ValueError(f"max_workers must be at least 1, got {max_workers}")
    if not slots:
        return
    import asyncio

    import_aiohttp()
    folder = await asyncio.to_thread(_batch_folder, path_download)
    urls = list(dict.fromkeys(slot.url for slot in slots))
    results: dict[str, Path] = {}
    reporter = resolve_progress(progress, "downloads", unit="files")
    reporter.start(len(urls))
    semaphore = asyncio.Semaphore(max_workers)

    async def one(url: str, session: aiohttp.ClientSession) -> None:
        async with semaphore:
            if url.startswith("data:"):
                results[url] = await asyncio.to_thread(_save_data_uri, url, folder)
            else:
                results[url] = await adownload_file(url, folder, progress=False, session=session, **download_kwargs)
        reporter.advance(1)

    try:
        for url in urls:
            if not url.startswith("data:"):
                _check_url(url)
        async with new_session(limit=max_workers) as session:
            tasks = [asyncio.create_task(one(url, session)) for url in urls]
            try:
                await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
    finally:
        reporter.finish()
    for slot in slots:
        slot.apply(coerce(results[slot.url]) if coerce is not None else results[slot.url])


def files_url_to_path(
    files: MutableMapping[str, Any] | MutableSequence[Any],
    coerce: Callable[[Path], Any] | None = None,
    file_field: str | None = None,
    *,
    path_download: str | os.PathLike[str] | None = None,
    max_workers: int = DEFAULT_MAX_WORKERS,
    connect_timeout: float = 10.0,
    read_timeout: float = 60.0,
    retry: RetryPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    progress: Progress = None,
) -> MutableMapping[str, Any] | MutableSequence[Any]:
    """Download the files a record refers to and put their local paths in place of the URLs, in place.

    For each entry of ``files``: a string (a URL, or a ``data:`` URI) is replaced by the local path; a dict with a
    ``"url"`` key (``{"url": ..., "size": ...}``, as the platform sends) loses ``"url"`` and gains ``"path"``.
    Entries that are neither (empty values, dicts already converted) are left alone. Downloads run in up to
    ``max_workers`` threads; a URL that appears twice is downloaded once. The record is changed only once every
    download succeeded, so after an error it is exactly as before.

    Args:
        files: A dict of file entries by specification name, or a list of URLs.
        coerce: Function applied to each path (for example ``str``).
        file_field: Convert only this key of ``files``.
        path_download: Folder to save into; ``None`` means the per-user cache (:func:`default_download_dir`).
        max_workers: Downloads in flight at once.
        connect_timeout: Seconds to wait for each connection.
        read_timeout: Seconds to wait for the next bytes of each response.
        retry: Retry policy of each download.
        headers: Extra request headers for every download.
        progress: ``None`` shows a bar counting files when stderr is a terminal; ``False`` hides it; or a reporter
            or ``callback(done_files, total_files)``.

    Returns:
        ``files`` itself (earlier releases returned ``None``; the change is compatible).

    Raises:
        ValueError: If a URL is not http(s) or data, a data URI is malformed, or ``max_workers`` is below 1.
        DownloadError: If a download failed (the first failure is raised; ``files`` is unchanged).

    Example:
        >>> import tempfile
        >>> from synapse_fileutils.download import files_url_to_path
        >>> files = {"note": "data:text/plain;base64,aGVsbG8=", "empty": None}
        >>> read = lambda path: path.read_bytes()
        >>> _ = files_url_to_path(files, coerce=read, path_download=tempfile.mkdtemp(), progress=False)
        >>> files
        {'note': b'hello', 'empty': None}
    """
    slots = _slots_of(files, file_field)
    kwargs = {
        "connect_timeout": connect_timeout,
        "read_timeout": read_timeout,
        "retry": retry,
        "headers": headers,
    }
    _run_batch(
        slots, coerce, path_download=path_download, max_workers=max_workers, progress=progress, download_kwargs=kwargs
    )
    return files


async def afiles_url_to_path(
    files: MutableMapping[str, Any] | MutableSequence[Any],
    coerce: Callable[[Path], Any] | None = None,
    file_field: str | None = None,
    *,
    path_download: str | os.PathLike[str] | None = None,
    max_workers: int = DEFAULT_MAX_WORKERS,
    connect_timeout: float = 10.0,
    read_timeout: float = 60.0,
    retry: RetryPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    progress: Progress = None,
) -> MutableMapping[str, Any] | MutableSequence[Any]:
    """Do what :func:`files_url_to_path` does, with asyncio: one aiohttp session, ``max_workers`` in flight.

    Args:
        files: A dict of file entries by specification name, or a list of URLs.
        coerce: Function applied to each path.
        file_field: Convert only this key of ``files``.
        path_download: Folder to save into; ``None`` means :func:`default_download_dir`.
        max_workers: Downloads in flight at once (an :class:`asyncio.Semaphore` and the connection limit).
        connect_timeout: Seconds to wait for each connection.
        read_timeout: Seconds to wait for the next bytes of each response.
        retry: Retry policy of each download.
        headers: Extra request headers for every download.
        progress: As for :func:`files_url_to_path`.

    Returns:
        ``files`` itself.

    Raises:
        ImportError: If aiohttp is not installed.
        ValueError: If a URL is not http(s) or data, or ``max_workers`` is below 1.
        DownloadError: If a download failed (``files`` is unchanged).

    Example:
        >>> import asyncio, tempfile
        >>> from synapse_fileutils.download import afiles_url_to_path
        >>> files = {"note": {"url": "data:text/plain,hi", "size": 2}}
        >>> read = lambda path: path.read_text()
        >>> _ = asyncio.run(afiles_url_to_path(files, read, path_download=tempfile.mkdtemp(), progress=False))
        >>> files
        {'note': {'size': 2, 'path': 'hi'}}
    """
    slots = _slots_of(files, file_field)
    kwargs = {
        "connect_timeout": connect_timeout,
        "read_timeout": read_timeout,
        "retry": retry,
        "headers": headers,
    }
    await _arun_batch(
        slots, coerce, path_download=path_download, max_workers=max_workers, progress=progress, download_kwargs=kwargs
    )
    return files


def files_url_to_path_from_objs(
    objs: Any,
    files_fields: Iterable[str],
    coerce: Callable[[Path], Any] | None = None,
    is_list: bool = False,
    is_async: bool = False,
    *,
    path_download: str | os.PathLike[str] | None = None,
    max_workers: int = DEFAULT_MAX_WORKERS,
    connect_timeout: float = 10.0,
    read_timeout: float = 60.0,
    retry: RetryPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    progress: Progress = None,
) -> None:
    """Convert the file URLs found under ``files_fields`` of one record or a list of records, in place.

    A field is a dotted path (``"data.files"``). If it leads to a dict (or list) of file entries, each entry is
    converted as in :func:`files_url_to_path`; if it leads to a string, that string is replaced by the path. Records
    without the field are skipped. All downloads of all records share one pool of ``max_workers``.

    Args:
        objs: One record (a dict), or a list of records when ``is_list`` is true.
        files_fields: Dotted paths of the file fields.
        coerce: Function applied to each path.
        is_list: ``objs`` is a list of records.
        is_async: Download with asyncio (:func:`afiles_url_to_path_from_objs` run by :func:`asyncio.run`). Cannot be
            used from inside a running event loop: await :func:`afiles_url_to_path_from_objs` there instead.
        path_download: Folder to save into; ``None`` means :func:`default_download_dir`.
        max_workers: Downloads in flight at once.
        connect_timeout: Seconds to wait for each connection.
        read_timeout: Seconds to wait for the next bytes of each response.
        retry: Retry policy of each download.
        headers: Extra request headers for every download.
        progress: As for :func:`files_url_to_path`.

    Raises:
        ValueError: If a URL is not http(s) or data, or ``max_workers`` is below 1.
        RuntimeError: If ``is_async`` is true and an event loop is already running in this thread.
        DownloadError: If a download failed (the records are unchanged).

    Example:
        >>> import tempfile
        >>> from synapse_fileutils.download import files_url_to_path_from_objs
        >>> records = [{"data": {"files": {"a": "data:,x"}}}, {"data": {}}]
        >>> read = lambda path: path.read_text()
        >>> folder = tempfile.mkdtemp()
        >>> files_url_to_path_from_objs(
        ...     records, ["data.files"], read, is_list=True, path_download=folder, progress=False
        ... )
        >>> records
        [{'data': {'files': {'a': 'x'}}}, {'data': {}}]
    """
    options: dict[str, Any] = {
        "path_download": path_download,
        "max_workers": max_workers,
        "connect_timeout": connect_timeout,
        "read_timeout": read_timeout,
        "retry": retry,
        "headers": headers,
        "progress": progress,
    }
    if is_async:
        import asyncio

        asyncio.run(afiles_url_to_path_from_objs(objs, files_fields, coerce, is_list, **options))
        return
    slots = _slots_of_objs(objs, files_fields, is_list)
    kwargs = {key: options[key] for key in ("connect_timeout", "read_timeout", "retry", "headers")}
    _run_batch(
        slots, coerce, path_download=path_download, max_workers=max_workers, progress=progress, download_kwargs=kwargs
    )


async def afiles_url_to_path_from_objs(
    objs: Any,
    files_fields: Iterable[str],
    coerce: Callable[[Path], Any] | None = None,
    is_list: bool = False,
    *,
    path_download: str | os.PathLike[str] | None = None,
    max_workers: int = DEFAULT_MAX_WORKERS,
    connect_timeout: float = 10.0,
    read_timeout: float = 60.0,
    retry: RetryPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    progress: Progress = None,
) -> None:
    """Do what :func:`files_url_to_path_from_objs` does, with asyncio.

    Args:
        objs: One record (a dict), or a list of records when ``is_list`` is true.
        files_fields: Dotted paths of the file fields.
        coerce: Function applied to each path.
        is_list: ``objs`` is a list of records.
        path_download: Folder to save into; ``None`` means :func:`default_download_dir`.
        max_workers: Downloads in flight at once.
        connect_timeout: Seconds to wait for each connection.
        read_timeout: Seconds to wait for the next bytes of each response.
        retry: Retry policy of each download.
        headers: Extra request headers for every download.
        progress: As for :func:`files_url_to_path`.

    Raises:
        ImportError: If aiohttp is not installed.
        ValueError: If a URL is not http(s) or data, or ``max_workers`` is below 1.
        DownloadError: If a download failed (the records are unchanged).

    Example:
        >>> import asyncio, tempfile
        >>> from synapse_fileutils.download import afiles_url_to_path_from_objs
        >>> record = {"image": "data:,y"}
        >>> read = lambda path: path.read_text()
        >>> asyncio.run(
        ...     afiles_url_to_path_from_objs(record, ["image"], read, path_download=tempfile.mkdtemp(), progress=False)
        ... )
        >>> record
        {'image': 'y'}
    """
    slots = _slots_of_objs(objs, files_fields, is_list)
    kwargs = {"connect_timeout": connect_timeout, "read_timeout": read_timeout, "retry": retry, "headers": headers}
    await _arun_batch(
        slots, coerce, path_download=path_download, max_workers=max_workers, progress=progress, download_kwargs=kwargs
    )
