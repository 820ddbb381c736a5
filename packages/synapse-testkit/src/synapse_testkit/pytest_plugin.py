"""The workspace's pytest plugin: Hypothesis profiles and the fixtures every package's tests share.

Loaded through the ``pytest11`` entry point wherever synapse-testkit is installed (each nox test session), so no
conftest repeats it. Fixtures import the package they need when used: a session without synapse-client (the file
utilities' tests) never imports it.

Profiles: ``default`` (100 examples) and ``ci`` (400 examples, ``too_slow`` allowed), chosen by the
``HYPOTHESIS_PROFILE`` environment variable (nox sets ``ci`` when ``CI`` is set).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from synapse_client.testing import BackendServer, LocalRayHead, ProtocolServer

    from .simple_fileserver import SimpleFileServer


settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def ray_head() -> Iterator[LocalRayHead]:
    """A real Ray head on 127.0.0.1 for the whole session (started on first use, ~5 s), stopped at the end."""
    from synapse_client.testing import LocalRayHead

    with LocalRayHead(num_cpus=2) as head:
        yield head


@pytest.fixture
def protocol_server() -> Iterator[ProtocolServer]:
    """A real HTTP/1.1 server on 127.0.0.1 with routes, fault injection and a request log; stopped after the test."""
    from synapse_client.testing import ProtocolServer

    with ProtocolServer() as server:
        yield server


@pytest.fixture
def backend_server(tmp_path: Path) -> Iterator[BackendServer]:
    """A stateful backend-protocol server on 127.0.0.1 (uploads stored under tmp_path); stopped after the test."""
    from synapse_client.testing import BackendServer

    with BackendServer(tmp_path / "backend-server") as server:
        yield server


@pytest.fixture
def file_server() -> Iterator[SimpleFileServer]:
    """A running [`SimpleFileServer`][synapse_testkit.simple_fileserver.SimpleFileServer], stopped after the test."""
    from .simple_fileserver import SimpleFileServer

    server = SimpleFileServer()
    yield server
    server.close()
