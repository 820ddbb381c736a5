"""One file: :func:`download_file` and :func:`adownload_file`, cached, resumed, verified and written atomically."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import urlsplit

from .._atomic import release_lock
from ..checksum import calculate_checksum
from ..http.origin import origin_of
from ..http.redact import redact_url
from ..logs import get_logger
from ..progress import ProgressCallback, ProgressReporter, resolve_progress
from . import _state
from ._async import afetch, import_aiohttp, new_session
from ._state import Partial
from ._sync import fetch
from ._transfer import DownloadOptions, RetryPolicy, cache_file_name, default_download_dir

if TYPE_CHECKING:
    import aiohttp
    import requests

__all__ = ["Progress", "adownload_file", "download_file"]

logger = get_logger("synapse_fileutils.download")

T = TypeVar("T")

#: What a ``progress`` argument may be: a reporter, a ``callback(done, total)``, ``False`` for none, ``None`` for a
#: terminal bar when stderr is a terminal.
Progress = ProgressReporter | ProgressCallback | bool | None


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
    partial = Partial(target, url)
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
    partial = Partial(target, url)
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
        lock = _state.lock(target, url)
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
            release_lock(_state.lock_path(target), lock)
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
    lock = await _state.alock(target, url)
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
        await asyncio.to_thread(release_lock, _state.lock_path(target), lock)
        reporter.finish()
        if own_session:
            await client.close()
    return coerce(target) if coerce is not None else target
