"""Original files of export items: fetched ahead of the export loop with bounded concurrency, verified, atomic.

An item's ``files`` entry is ``{"url", "file_name_original", "checksum"?}`` (backend targets: a presigned http(s)
URL) or ``{"path", "file_name_original"}`` (the local target: a file of the dataset folder). Downloads go through
``synapse_fileutils.download.download_file``: connect and read timeouts, retries of transient failures, status checks
(an error page is never saved), SHA-1 checks when the server sent a checksum, and a temp-file-then-rename write into a
scratch folder; the exporter then stores the file through the export's storage.

Example:
    >>> import pathlib, tempfile
    >>> image = pathlib.Path(tempfile.mkdtemp()) / "a.jpg"
    >>> _ = image.write_bytes(b"jpeg")
    >>> with OriginalFetcher(pathlib.Path(tempfile.mkdtemp())) as fetcher:
    ...     fetcher.submit(1, {"path": str(image)}).result().read_bytes()
    b'jpeg'
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from ..items import ItemFailed

__all__ = ["OriginalFetcher", "original_url"]


def original_url(files: Mapping[str, Any]) -> str | None:
    """Return where an item's original file is: its local ``path`` or its ``url`` (None when it has neither).

    Example:
        >>> original_url({"url": "https://h/a.jpg"}), original_url({})
        ('https://h/a.jpg', None)
    """
    value = files.get("path") or files.get("url")
    return str(value) if value else None


class OriginalFetcher:
    """Fetch original files into a scratch folder on a bounded pool of threads.

    Args:
        scratch: A private folder for downloads (removed by ``close``).
        workers: Downloads at the same time.
        connect_timeout: Seconds to wait for a connection.
        read_timeout: Seconds to wait for the next bytes of a response.
        max_size: Largest accepted file in bytes (None: no limit).

    Example:
        >>> import tempfile, pathlib
        >>> fetcher = OriginalFetcher(pathlib.Path(tempfile.mkdtemp()), workers=2)
        >>> fetcher.workers
        2
        >>> fetcher.close()
    """

    def __init__(
        self,
        scratch: Path,
        *,
        workers: int = 8,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        max_size: int | None = None,
    ) -> None:
        self.scratch = scratch
        self.workers = max(1, int(workers))
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_size = max_size
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> OriginalFetcher:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def submit(self, token: int, files: Mapping[str, Any]) -> Future[Path]:
        """Start fetching one item's original file; the future's result is a local path.

        Args:
            token: A number unique among the files in flight (names the scratch file).
            files: The item's ``files`` entry.

        Returns:
            A future of the local file (the dataset's own file for the local target).
        """
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="synapse-export-download")
        return self._pool.submit(self.fetch, token, dict(files))

    def fetch(self, token: int, files: Mapping[str, Any]) -> Path:
        """Fetch one item's original file now, in this thread.

        Args:
            token: Names the scratch file.
            files: The item's ``files`` entry.

        Returns:
            The local file.

        Raises:
            ItemFailed: The entry has no file, the local file is missing, or the download failed (404, checksum,
                timeouts after retries); the reason never shows a URL's query string.
        """
        local = files.get("path")
        if local:
            path = Path(os.fspath(local))
            if not path.is_file():
                raise ItemFailed(f"original file not found: {path.name}")
            return path
        url = files.get("url")
        if not isinstance(url, str) or not url:
            raise ItemFailed("the item has no original file URL")
        from synapse_fileutils.download import DownloadError, download_file

        checksum = files.get("checksum")
        try:
            return download_file(
                url,
                self.scratch,
                name=f"{token}",
                checksum=checksum if isinstance(checksum, str) and len(checksum) == 40 else None,
                checksum_algorithm="sha1",
                connect_timeout=self.connect_timeout,
                read_timeout=self.read_timeout,
                progress=False,
                max_size=self.max_size,
            )
        except DownloadError as exc:
            raise ItemFailed(f"download failed: {exc}") from exc
        except ValueError as exc:
            raise ItemFailed(f"cannot download the original file: {exc}") from exc

    def release(self, path: Path) -> None:
        """Remove a fetched file if it is a scratch download (a local target's own file is left alone)."""
        if path.parent == self.scratch:
            path.unlink(missing_ok=True)

    def release_when_done(self, future: Future[Path]) -> None:
        """Remove the file a finished fetch left in the scratch folder (a ``Future.add_done_callback`` callback)."""
        if not future.cancelled() and future.exception() is None:
            self.release(future.result())

    def close(self) -> None:
        """Stop the pool (waiting for downloads in flight) and remove the scratch folder."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        shutil.rmtree(self.scratch, ignore_errors=True)
