"""The local services that the docs pages' examples run against, and the placeholder URLs they stand in for.

This is the only module of the docs checks that knows where the test servers live: when they move, only the imports
below change. A page's examples use readable placeholder hosts; before a block runs, each placeholder that occurs on
the page is replaced by the URL of a real local service, started on first use:

- ``http://127.0.0.1:8265``: the dashboard of a real local Ray head (``LocalRayHead``);
- ``https://agent.example.com``: the agent-protocol server, forwarding to that Ray head (tokens ``agent-token``,
  ``user-token``, ``tenant-token``);
- ``https://api.example.com``: the stateful backend-protocol server (it accepts the page's ``access_token="..."``);
- ``https://example.com``, ``https://bucket.s3.amazonaws.com``: a file server with Range support; every URL of the
  page on these hosts serves ``b"a\\n"``, except paths with ``missing`` in them (404);
- ``https://files.example.com``: an HTTP upload server (PUT, GET, HEAD, DELETE) over an empty folder;
- ``http://minio.internal:9000``: an S3-compatible server (moto) with the buckets ``datasets`` and ``exports``.

CONTRIBUTING.md ("Code examples that run") tells page writers the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_client.testing import LocalRayHead

RAY_DASHBOARD = "http://127.0.0.1:8265"
AGENT = "https://agent.example.com"
BACKEND = "https://api.example.com"
FILE_HOSTS = ("https://example.com", "https://bucket.s3.amazonaws.com")
UPLOAD_SERVER = "https://files.example.com"
S3_SERVER, S3_BUCKETS = "http://minio.internal:9000", ("datasets", "exports")
AGENT_TOKENS = {"agent_token": "agent-token", "user_token": "user-token", "tenant": "tenant-token"}
FILE_CONTENT = b"a\n"  # sha1 3f786850e387550fdab836ed7e6dc881de23001b, which the download page checks


def _placeholder(prefix: str) -> re.Pattern[str]:
    """Match ``prefix`` only as a whole origin (not ``https://example.com.evil`` or ``:82650``)."""
    return re.compile(re.escape(prefix) + r"(?![\w.:-])")


@pytest.fixture(scope="session")
def ray_head() -> Iterator[LocalRayHead]:
    """A real Ray head on 127.0.0.1, started on first use by a page that needs it."""
    with LocalRayHead(num_cpus=2) as head:
        yield head


@pytest.fixture(scope="session")
def agent_url(ray_head: LocalRayHead) -> Iterator[str]:
    """The agent-protocol server in front of the Ray head."""
    from synapse_testkit import agent_server

    with agent_server.AgentServer(ray_head.dashboard_url, **AGENT_TOKENS) as server:
        yield server.url.rstrip("/")


@pytest.fixture
def backend_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh backend-protocol server per page, so pages never see each other's records."""
    from synapse_client import testing as backend_server

    with backend_server.BackendServer(tmp_path_factory.mktemp("backend"), access_token="...", tenant="...") as server:
        yield server.url.rstrip("/")


@pytest.fixture
def upload_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTP server that stores what is PUT to it (the HTTP storage provider's peer)."""
    from synapse_testkit.storage_servers import http_file_server

    with http_file_server(tmp_path_factory.mktemp("uploads")) as (url, _faults):
        yield url.rstrip("/")


@pytest.fixture(scope="session")
def s3_url() -> Iterator[str]:
    """Moto's S3 server with the buckets the pages use (any access key is accepted)."""
    import boto3

    from synapse_testkit.storage_servers import moto_s3_server

    with moto_s3_server() as endpoint:
        client = boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
        )
        for bucket in S3_BUCKETS:
            client.create_bucket(Bucket=bucket)
        yield endpoint.rstrip("/")


@pytest.fixture
def file_server_for(request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """Start a file server serving every placeholder-host URL of a page; return a function mapping the page text."""
    from synapse_testkit import fileserver

    with fileserver.FileServer() as server:

        def serve_page(text: str) -> str:
            for host in FILE_HOSTS:
                pattern = _placeholder(host)
                for match in re.finditer(pattern.pattern + r"(?P<path>/[^\s\"'?#)]*)?", text):
                    path = match["path"] or "/"
                    if "missing" not in path and path not in server.resources:
                        server.add(path, FILE_CONTENT)
                text = pattern.sub(server.base_url, text)
            return text

        yield serve_page


@pytest.fixture
def localize(request: pytest.FixtureRequest, file_server_for: Callable[[str], str]) -> Callable[[str], str]:
    """Return a function that replaces a page's placeholder URLs by local services (started only when used)."""
    services: dict[str, Callable[[], Any]] = {
        RAY_DASHBOARD: lambda: request.getfixturevalue("ray_head").dashboard_url.rstrip("/"),
        AGENT: lambda: request.getfixturevalue("agent_url"),
        BACKEND: lambda: request.getfixturevalue("backend_url"),
        UPLOAD_SERVER: lambda: request.getfixturevalue("upload_url"),
        S3_SERVER: lambda: request.getfixturevalue("s3_url"),
    }

    def localize_page(text: str) -> str:
        for placeholder, start in services.items():
            pattern = _placeholder(placeholder)
            if pattern.search(text):
                text = pattern.sub(start(), text)
        return file_server_for(text)

    return localize_page


@pytest.fixture
def page_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty working folder (and home, for caches under ``~``) for one page's examples.

    The environment is restored afterwards: a page that sets ``os.environ`` (as a user's ``export`` would) does not
    leak into the next page.
    """
    import os

    saved = dict(os.environ)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    os.environ.clear()
    os.environ.update(saved)
