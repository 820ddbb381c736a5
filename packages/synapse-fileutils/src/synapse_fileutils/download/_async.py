"""The asyncio transport of downloads: :mod:`aiohttp` driving the same :class:`Transfer` as the blocking one.

Body bytes are gathered up to ``chunk_size`` and written by a worker thread, so the event loop never waits on the
disk. :mod:`aiohttp` is an optional dependency (``pip install 'synapse-fileutils[async]'``), imported on first use.

Example:
    >>> import_aiohttp().__name__
    'aiohttp'
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, BinaryIO

from ..progress import ProgressReporter
from ._sync import describe_error
from ._transfer import DownloadOptions, ResumePoint, RetryLater, Transfer, ValidatorCallback

if TYPE_CHECKING:
    import aiohttp

__all__ = ["INLINE_WRITE_LIMIT", "afetch", "import_aiohttp", "new_session"]

#: Writes up to this many bytes happen on the event loop: copying a small buffer into the page cache is quicker than
#: a hop to a worker thread. Bigger writes (a full chunk) go to a thread.
INLINE_WRITE_LIMIT = 64 * 1024


def import_aiohttp() -> ModuleType:
    """Import :mod:`aiohttp`, or explain how to install it.

    Returns:
        The :mod:`aiohttp` module.

    Raises:
        ImportError: If aiohttp is not installed; the message names the ``async`` extra.

    Example:
        >>> import_aiohttp().__name__
        'aiohttp'
    """
    try:
        import aiohttp
    except ImportError as exc:
        raise ImportError(
            "async downloads need aiohttp; install it with: pip install 'synapse-fileutils[async]'"
        ) from exc
    return aiohttp


def new_session(limit: int = 16) -> aiohttp.ClientSession:
    """Return a new :class:`aiohttp.ClientSession` set up for downloads; the caller closes it.

    Args:
        limit: Connections open at most at once.

    Returns:
        A session with a connection limit. Requests ask for ``identity`` encoding; a body compressed anyway is decoded,
        as by the blocking transport.

    Example:
        >>> import asyncio
        >>> async def main():
        ...     async with new_session(limit=4) as session:
        ...         return session.connector.limit
        >>> asyncio.run(main())
        4
    """
    module = import_aiohttp()
    from ..http.agent import USER_AGENT

    session: aiohttp.ClientSession = module.ClientSession(
        connector=module.TCPConnector(limit=limit),
        headers={"User-Agent": USER_AGENT},
    )
    return session


async def _write(transfer: Transfer, pending: list[bytes]) -> None:
    data = pending[0] if len(pending) == 1 else b"".join(pending)
    pending.clear()
    if len(data) <= INLINE_WRITE_LIMIT:
        transfer.write(data)
    else:
        import asyncio

        await asyncio.to_thread(transfer.write, data)
    transfer.wrote(len(data))


async def _stream_body(response: aiohttp.ClientResponse, transfer: Transfer) -> None:
    pending: list[bytes] = []
    size = 0
    chunk_size = transfer.options.chunk_size
    try:
        async for chunk in response.content.iter_chunked(chunk_size):
            pending.append(chunk)
            size += len(chunk)
            if size >= chunk_size:
                size = 0
                await _write(transfer, pending)
    finally:
        if pending:  # keep what arrived before a failure: the next attempt resumes after it
            await _write(transfer, pending)


async def afetch(
    url: str,
    file: BinaryIO,
    options: DownloadOptions,
    progress: ProgressReporter,
    session: aiohttp.ClientSession,
    *,
    resume: ResumePoint | None = None,
    on_validator: ValidatorCallback | None = None,
) -> Transfer:
    """Download ``url`` into ``file`` without blocking the event loop, resuming and retrying like :func:`fetch`.

    Args:
        url: The URL (http or https).
        file: The temp file, open for binary writing and positioned at its end (empty unless ``resume``).
        options: Timeouts, retry policy, chunk size and headers.
        progress: Receives byte counts.
        session: An open aiohttp session.
        resume: Bytes already in ``file`` from an earlier call, resumed with ``Range`` + ``If-Range``.
        on_validator: Called with the validator and size of a full response before its body is written.

    Returns:
        The finished transfer.

    Raises:
        DownloadError: The server refused the download or the retries are used up.

    Example:
        >>> import asyncio, io
        >>> from synapse_fileutils.progress import NullProgress
        >>> from synapse_fileutils.download import RetryPolicy
        >>> async def main():
        ...     async with new_session() as session:
        ...         options = DownloadOptions(retry=RetryPolicy(max_attempts=1))
        ...         await afetch("http://127.0.0.1:9/none", io.BytesIO(), options, NullProgress(), session)
        >>> asyncio.run(main())  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        synapse_fileutils.download.errors.DownloadError: download failed
    """
    import asyncio

    module = import_aiohttp()
    transient = (module.ClientError, asyncio.TimeoutError)
    from ..http.logs import quiet_transport_logs

    quiet_transport_logs((options.headers or {}).values())  # urllib3's DEBUG request line shows the query string
    transfer = Transfer(url, file, options, progress, resume=resume, on_validator=on_validator)
    timeout = module.ClientTimeout(
        total=None, connect=None, sock_connect=options.connect_timeout, sock_read=options.read_timeout
    )
    while True:
        headers = transfer.next_request_headers()
        failure: str | None = None
        delay = 0.0
        try:
            async with session.get(
                transfer.request_url, headers=headers, timeout=timeout, allow_redirects=False
            ) as response:
                if transfer.on_response(response.status, response.headers):
                    await _stream_body(response, transfer)
                    transfer.on_body_end()
            return transfer
        except RetryLater as retry:
            delay = retry.delay
        except transient as exc:
            failure = describe_error(exc, url)  # only the redacted text leaves this block
        if failure is not None:  # outside the handler, so the raised error has no unredacted __context__
            delay = transfer.on_transport_error(failure)
        if delay > 0:
            await asyncio.sleep(delay)
