"""The asyncio twin of [`follow_log`][synapse_client.ray.logs.follow_log], with WebSocket and polling sources.

The rules are the same (every line once, in order; status check when a connection ends or goes quiet; reconnect with
backoff while the job runs; one final full read; [`StreamLimits`][synapse_client.network.StreamLimits] enforced), and
the same [`LogCursor`][synapse_client.ray.logs.LogCursor] does the bookkeeping. Blocking HTTP calls (status, full log,
polls) run in the event loop's default executor; closing the async generator (``aclose()``, or leaving an
``async for`` early) closes the WebSocket.

Example:
    ```python
    async for line in client.atail_job_logs(job_id, protocol="websocket"):
        print(line)
    ```
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

from synapse_fileutils.http import USER_AGENT

from ..errors import ClientError, ClientTimeoutError, RateLimitError, ServiceUnavailableError, error_for_status
from .jobs import JobStatus
from .logs import LogCursor

if TYPE_CHECKING:
    from ..network import StreamLimits

__all__ = ["AsyncChunkSource", "afollow_log", "apolled_chunks", "awebsocket_chunks"]

AsyncChunkSource = Callable[[], AbstractAsyncContextManager[AsyncIterator["str | None"]]]
"""Opens one connection: an async context manager yielding text chunks (``None`` = idle tick)."""

_RECONNECTABLE = frozenset({408, 500, 502, 503, 504})
_MESSAGE_TOO_BIG = 1009


async def afollow_log(
    open_stream: AsyncChunkSource,
    get_status: Callable[[], Awaitable[JobStatus]],
    read_full_log: Callable[[], Awaitable[str]],
    *,
    limits: StreamLimits | None = None,
    backoff: float = 0.25,
    max_backoff: float = 2.0,
    max_failures: int = 5,
) -> AsyncIterator[str]:
    """Yield a job's log lines once each, in order, reconnecting while the job runs (asyncio).

    Args:
        open_stream: Opens one connection.
        get_status: Returns the job's current status.
        read_full_log: Returns the whole log; awaited once after the job is terminal.
        limits: Bounds on what the stream may deliver; ``StreamLimits()`` defaults when ``None``.
        backoff: First delay in seconds before a reconnect; doubles up to ``max_backoff``.
        max_backoff: Longest delay between reconnects, in seconds.
        max_failures: Consecutive failed connections (408/5xx) tolerated before the error is raised.

    Yields:
        Log lines without their trailing newline.

    Raises:
        RateLimitError: When ``limits`` are exceeded (429).
        ClientError: When connecting fails ``max_failures`` times in a row, or with a non-transient status.

    Example:
        ```python
        async for line in afollow_log(source, get_status, read_full_log):
            print(line)
        ```
    """
    if limits is None:
        from ..network import StreamLimits

        limits = StreamLimits()
    cursor = LogCursor(limits.budget(), limits.max_message_size)
    failures = 0
    delay = backoff
    while True:
        progressed = False
        try:
            async with open_stream() as chunks:
                cursor.start_connection()
                async for chunk in chunks:
                    if chunk is None:
                        if (await get_status()).is_terminal():
                            break
                        continue
                    lines = cursor.feed(chunk)
                    if lines:
                        progressed = True
                        failures, delay = 0, backoff
                        for line in lines:
                            yield line
        except ClientError as exc:
            if exc.status not in _RECONNECTABLE:
                raise
            failures += 0 if progressed else 1
            if failures >= max_failures:
                raise
        if (await get_status()).is_terminal():
            for line in cursor.feed_full(await read_full_log()):
                yield line
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_backoff) if delay > 0 else 0


@asynccontextmanager
async def awebsocket_chunks(
    url: str,
    headers: dict[str, str],
    stream_timeout: float,
    *,
    open_timeout: float = 10.0,
    max_message_size: int | None = None,
) -> AsyncIterator[AsyncIterator[str | None]]:
    """Open a WebSocket with websockets' asyncio client (``compression=None``) and yield its text frames.

    Args:
        url: The ``ws://`` or ``wss://`` URL.
        headers: Extra handshake headers (auth).
        stream_timeout: Seconds without a frame before an idle tick (``None``) is yielded.
        open_timeout: Seconds allowed for the connection and handshake.
        max_message_size: Largest frame accepted in bytes; a larger one raises 429.

    Yields:
        An async iterator of frames as text, with ``None`` for idle ticks.

    Raises:
        ClientError: The handshake's HTTP status, 408 on a handshake timeout, 503 when unreachable.
        RateLimitError: When a frame exceeds ``max_message_size`` (429).

    Example:
        ```python
        async with awebsocket_chunks(url, {}, 10.0) as frames:
            async for frame in frames:
                print(frame)
        ```
    """
    try:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ClientError(500, "protocol='websocket' needs: pip install 'synapse-client[websocket]'") from exc

    manager = connect(
        url,
        additional_headers=headers,
        user_agent_header=USER_AGENT,
        compression=None,
        open_timeout=open_timeout,
        max_size=max_message_size,
        close_timeout=2,
        ping_interval=None,
    )
    try:
        socket = await manager.__aenter__()
    except InvalidStatus as exc:
        status = exc.response.status_code
        raise error_for_status(status, f"WebSocket handshake refused ({status})", method="GET") from None
    except (TimeoutError, asyncio.TimeoutError):
        raise ClientTimeoutError(408, "WebSocket handshake timed out") from None
    except (OSError, InvalidHandshake) as exc:
        raise ServiceUnavailableError(503, f"WebSocket connection failed: {type(exc).__name__}") from None

    async def frames() -> AsyncGenerator[str | None, None]:
        while True:
            try:
                message = await asyncio.wait_for(socket.recv(), stream_timeout)
            except asyncio.TimeoutError:  # not the builtin TimeoutError before Python 3.11
                yield None
                continue
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else exc.sent.code if exc.sent is not None else None
                if code == _MESSAGE_TOO_BIG:
                    raise RateLimitError(429, f"log message larger than {max_message_size} bytes") from None
                return
            yield message if isinstance(message, str) else message.decode("utf-8", "replace")

    stream = frames()
    try:
        yield stream
    finally:
        await stream.aclose()
        await manager.__aexit__(None, None, None)  # closes the socket


@asynccontextmanager
async def apolled_chunks(
    read_log: Callable[[], Awaitable[str]], poll_interval: float
) -> AsyncIterator[AsyncIterator[str | None]]:
    """Poll the full log and yield only what is new since the previous poll (asyncio).

    Args:
        read_log: Returns the whole log.
        poll_interval: Seconds between polls.

    Yields:
        An async iterator of new text, ``None`` after a poll with nothing new.

    Example:
        ```python
        async with apolled_chunks(read_log, 0.5) as chunks:
            async for chunk in chunks:
                ...
        ```
    """

    async def chunks() -> AsyncGenerator[str | None, None]:
        previous = 0
        while True:
            text = await read_log()
            if len(text) > previous:
                yield text[previous:]
                previous = len(text)
            else:
                yield None
            await asyncio.sleep(poll_interval)

    stream = chunks()
    try:
        yield stream
    finally:
        await stream.aclose()
