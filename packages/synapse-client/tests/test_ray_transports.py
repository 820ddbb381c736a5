"""The WebSocket log transports against a real websockets server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from synapse_client.ray.async_logs import awebsocket_chunks
from synapse_client.ray.transports import websocket_chunks
from synapse_fileutils.http import USER_AGENT


@pytest.fixture
def ws_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A WebSocket server that records each handshake's headers, sends one frame and closes."""
    from websockets.sync.server import ServerConnection, serve

    handshakes: list[dict[str, str]] = []

    def handler(connection: ServerConnection) -> None:
        assert connection.request is not None
        handshakes.append(dict(connection.request.headers.raw_items()))
        connection.send("line 1\n")

    with serve(handler, "127.0.0.1", 0, compression=None) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        host, port = server.socket.getsockname()[:2]
        yield f"ws://{host}:{port}/logs", handshakes
        server.shutdown()
        thread.join(timeout=10)


def test_the_websocket_tail_names_the_sdk(ws_server: tuple[str, list[dict[str, str]]]) -> None:
    url, handshakes = ws_server
    with websocket_chunks(url, {"Authorization": "Token abc"}, 5.0) as frames:
        assert list(frames) == ["line 1\n"]
    (seen,) = handshakes
    assert seen["User-Agent"] == USER_AGENT
    assert seen["Authorization"] == "Token abc"


def test_the_async_websocket_tail_names_the_sdk(ws_server: tuple[str, list[dict[str, str]]]) -> None:
    url, handshakes = ws_server

    async def read() -> list[str | None]:
        async with awebsocket_chunks(url, {}, 5.0) as frames:
            return [frame async for frame in frames]

    assert asyncio.run(read()) == ["line 1\n"]
    (seen,) = handshakes
    assert seen["User-Agent"] == USER_AGENT
