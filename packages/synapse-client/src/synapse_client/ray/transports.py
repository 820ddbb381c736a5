"""Chunk sources for [`follow_log`][synapse_client.ray.logs.follow_log]: WebSocket, HTTP chunked stream and polling.

Each function returns a context manager that opens one connection and yields an iterable of text chunks (``None``
when no data came for ``stream_timeout`` seconds). Transport failures are raised as
[`ClientError`][synapse_client.errors.ClientError] (408 timeout, 503 unreachable, the server's status otherwise) so the
follower can decide to reconnect. Leaving the context closes the connection and joins any thread it used.

Example:
    ```python
    source = lambda: websocket_chunks("ws://127.0.0.1:8265/api/jobs/raysubmit_1/logs/tail", {}, 10.0)
    with source() as chunks:
        for chunk in chunks:
            ...
    ```
"""

from __future__ import annotations

import codecs
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from synapse_fileutils.http import USER_AGENT

from ..errors import ClientError, ClientTimeoutError, RateLimitError, ServiceUnavailableError, error_for_status

if TYPE_CHECKING:
    import requests

__all__ = ["http_stream_chunks", "polled_chunks", "websocket_chunks"]

_MESSAGE_TOO_BIG = 1009  # WebSocket close code


@contextmanager
def websocket_chunks(
    url: str,
    headers: dict[str, str],
    stream_timeout: float,
    *,
    open_timeout: float = 10.0,
    max_message_size: int | None = None,
) -> Iterator[Iterator[str | None]]:
    """Open a WebSocket and yield its text frames.

    ``compression=None`` is required: Ray's dashboard closes the socket at once when permessage-deflate is offered.

    Args:
        url: The ``ws://`` or ``wss://`` URL.
        headers: Extra handshake headers (auth).
        stream_timeout: Seconds without a frame before an idle tick (``None``) is yielded.
        open_timeout: Seconds allowed for the connection and handshake.
        max_message_size: Largest frame accepted in bytes; a larger one raises 429.

    Yields:
        An iterator of frames as text, with ``None`` for idle ticks; it ends when the server closes the socket.

    Raises:
        ClientError: The handshake's HTTP status (401, 404...), 408 on a handshake timeout, 503 when unreachable.
        RateLimitError: When a frame exceeds ``max_message_size`` (429).

    Example:
        ```python
        with websocket_chunks(url, {"Authorization": "..."}, 10.0) as frames:
            for frame in frames:
                print(frame)
        ```
    """
    try:
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
        from websockets.sync.client import connect
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ClientError(500, "protocol='websocket' needs: pip install 'synapse-client[websocket]'") from exc

    stack = ExitStack()
    try:
        # Entered as a context manager: newer websockets releases warn when connect() is used bare.
        socket = stack.enter_context(
            connect(
                url,
                additional_headers=headers,
                user_agent_header=USER_AGENT,
                compression=None,
                open_timeout=open_timeout,
                max_size=max_message_size,
                close_timeout=2,
                # No keepalive thread: idle reads already trigger a job status check, and close() joins the reader.
                ping_interval=None,
            )
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        body = exc.response.body.decode("utf-8", "replace")[:500] if exc.response.body else None
        raise error_for_status(status, f"WebSocket handshake refused ({status})", body=body, method="GET") from None
    except TimeoutError:
        raise ClientTimeoutError(408, "WebSocket handshake timed out") from None
    except (OSError, InvalidHandshake) as exc:
        raise ServiceUnavailableError(503, f"WebSocket connection failed: {type(exc).__name__}") from None

    def frames() -> Iterator[str | None]:
        while True:
            try:
                message = socket.recv(timeout=stream_timeout)
            except TimeoutError:
                yield None
                continue
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else exc.sent.code if exc.sent is not None else None
                if code == _MESSAGE_TOO_BIG:
                    raise RateLimitError(429, f"log message larger than {max_message_size} bytes") from None
                return
            yield message if isinstance(message, str) else message.decode("utf-8", "replace")

    with stack:  # closing the socket also joins the client's receiving thread
        yield frames()


@contextmanager
def http_stream_chunks(open_response: Callable[[], requests.Response]) -> Iterator[Iterator[str | None]]:
    """Read a chunked HTTP response as text chunks as they arrive.

    A read that waits longer than the response's read timeout ends the connection (``requests`` cannot resume it);
    the follower then checks the job status and reconnects.

    Args:
        open_response: Sends the request with ``stream=True`` and returns the response (errors already typed).

    Yields:
        An iterator of decoded text chunks (UTF-8, decoded incrementally so a character split across chunks survives).

    Raises:
        ClientError: From ``open_response``.

    Example:
        ```python
        with http_stream_chunks(lambda: client._request("GET", path, stream=True)) as chunks:
            for chunk in chunks:
                print(chunk)
        ```
    """
    import requests

    response = open_response()

    def chunks() -> Iterator[str | None]:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        try:
            for raw in response.iter_content(chunk_size=None):
                text = decoder.decode(raw)
                if text:
                    yield text
        except requests.exceptions.RequestException:
            return  # the connection dropped or went quiet: the follower decides what comes next
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    try:
        yield chunks()
    finally:
        response.close()


@contextmanager
def polled_chunks(
    read_log: Callable[[], str],
    poll_interval: float,
    *,
    sleep: Callable[[float], Any] = time.sleep,
) -> Iterator[Iterator[str | None]]:
    """Poll the full log and yield only what is new since the previous poll.

    Used for ``protocol='stream'`` against a Ray dashboard, which has no HTTP streaming endpoint for logs.

    Args:
        read_log: Returns the whole log (``GET /api/jobs/{id}/logs``).
        poll_interval: Seconds between polls.
        sleep: The sleep function (injectable for tests of the engine).

    Yields:
        An iterator of text: the whole log first, then each poll's new part, ``None`` after a poll with nothing new.

    Example:
        ```python
        with polled_chunks(lambda: client.list_job_logs(job_id), 0.5) as chunks:
            for chunk in chunks:
                ...
        ```
    """

    def chunks() -> Iterator[str | None]:
        previous = 0
        while True:
            text = read_log()
            if len(text) > previous:
                yield text[previous:]
                previous = len(text)
            else:
                yield None
            sleep(poll_interval)

    yield chunks()
