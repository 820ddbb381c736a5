"""URLs inside platform records replaced by local paths: the ``files_url_to_path`` family, with bounded concurrency.

Every batch function takes the same settings (folder, workers, timeouts, retry policy, headers, progress); they travel
as one :class:`BatchOptions` from the public signature to the code that uses them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, MutableMapping, MutableSequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._atomic import atomic_write
from ..progress import resolve_progress
from ._async import import_aiohttp, new_session
from ._transfer import RetryPolicy, default_download_dir
from .single import Progress, _check_url, adownload_file, download_file

if TYPE_CHECKING:
    import aiohttp

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "BatchOptions",
    "afiles_url_to_path",
    "afiles_url_to_path_from_objs",
    "files_url_to_path",
    "files_url_to_path_from_objs",
]

#: Downloads in flight at once in the batch functions, unless ``max_workers`` says otherwise.
DEFAULT_MAX_WORKERS = 16


@dataclass(frozen=True)
class BatchOptions:
    """The settings every batch function takes, as one value.

    Args:
        path_download: Folder to save into; ``None`` means the per-user cache (:func:`default_download_dir`).
        max_workers: Downloads in flight at once; at least 1.
        connect_timeout: Seconds to wait for each connection.
        read_timeout: Seconds to wait for the next bytes of each response.
        retry: Retry policy of each download (``None``: the default :class:`RetryPolicy`).
        headers: Extra request headers for every download (sent only to each URL's own origin).
        progress: ``None`` shows a bar counting files when stderr is a terminal; ``False`` hides it; or a reporter
            or ``callback(done_files, total_files)``.

    Raises:
        ValueError: If ``max_workers`` is below 1.

    Example:
        >>> BatchOptions(max_workers=4).download_kwargs()["read_timeout"]
        60.0
    """

    path_download: str | os.PathLike[str] | None = None
    max_workers: int = DEFAULT_MAX_WORKERS
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retry: RetryPolicy | None = None
    headers: Mapping[str, str] | None = None
    progress: Progress = None

    def __post_init__(self) -> None:
        if self.max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, got {self.max_workers}")

    def download_kwargs(self) -> dict[str, Any]:
        """The keyword arguments each single download of the batch gets."""
        return {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "retry": self.retry,
            "headers": self.headers,
        }


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
    from ..encoding import parse_data_uri

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


def _download_one(url: str, folder: Path, options: BatchOptions) -> Path:
    path: Path = download_file(url, folder, progress=False, **options.download_kwargs())
    return path


def _run_batch(slots: list[_Slot], coerce: Callable[[Path], Any] | None, options: BatchOptions) -> None:
    if not slots:
        return
    from concurrent.futures import ThreadPoolExecutor, as_completed

    folder = _batch_folder(options.path_download)
    urls = list(dict.fromkeys(slot.url for slot in slots))  # the same URL twice is downloaded once
    results: dict[str, Path] = {}
    reporter = resolve_progress(options.progress, "downloads", unit="files")
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
            workers = min(options.max_workers, len(remote))
            with ThreadPoolExecutor(workers, thread_name_prefix="synapse-download") as pool:
                futures = {pool.submit(_download_one, url, folder, options): url for url in remote}
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


async def _arun_batch(slots: list[_Slot], coerce: Callable[[Path], Any] | None, options: BatchOptions) -> None:
    if not slots:
        return
    import asyncio

    import_aiohttp()
    folder = await asyncio.to_thread(_batch_folder, options.path_download)
    urls = list(dict.fromkeys(slot.url for slot in slots))
    results: dict[str, Path] = {}
    reporter = resolve_progress(options.progress, "downloads", unit="files")
    reporter.start(len(urls))
    semaphore = asyncio.Semaphore(options.max_workers)

    async def one(url: str, session: aiohttp.ClientSession) -> None:
        async with semaphore:
            if url.startswith("data:"):
                results[url] = await asyncio.to_thread(_save_data_uri, url, folder)
            else:
                results[url] = await adownload_file(
                    url, folder, progress=False, session=session, **options.download_kwargs()
                )
        reporter.advance(1)

    try:
        for url in urls:
            if not url.startswith("data:"):
                _check_url(url)
        async with new_session(limit=options.max_workers) as session:
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
    options = BatchOptions(path_download, max_workers, connect_timeout, read_timeout, retry, headers, progress)
    _run_batch(_slots_of(files, file_field), coerce, options)
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
    options = BatchOptions(path_download, max_workers, connect_timeout, read_timeout, retry, headers, progress)
    await _arun_batch(_slots_of(files, file_field), coerce, options)
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
    options = BatchOptions(path_download, max_workers, connect_timeout, read_timeout, retry, headers, progress)
    slots = _slots_of_objs(objs, files_fields, is_list)
    if is_async:
        import asyncio

        asyncio.run(_arun_batch(slots, coerce, options))
        return
    _run_batch(slots, coerce, options)


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
    options = BatchOptions(path_download, max_workers, connect_timeout, read_timeout, retry, headers, progress)
    await _arun_batch(_slots_of_objs(objs, files_fields, is_list), coerce, options)
