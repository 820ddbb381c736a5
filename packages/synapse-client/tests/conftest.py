"""Fixtures for synapse-client tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import backend_server as backend_server_module
import protocol_server as protocol_server_module
import pytest
from hypothesis import HealthCheck, settings

from synapse_client.testing import LocalRayHead

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def ray_head() -> Iterator[LocalRayHead]:
    """A real Ray head on 127.0.0.1 for the whole session (started on first use, ~5 s), stopped at the end."""
    with LocalRayHead(num_cpus=2) as head:
        yield head


@pytest.fixture
def protocol_server() -> Iterator[Any]:
    """A real HTTP/1.1 server on 127.0.0.1 with routes, fault injection and a request log; stopped after the test."""
    with protocol_server_module.ProtocolServer() as server:
        yield server


@pytest.fixture
def backend_server(tmp_path: Path) -> Iterator[Any]:
    """A stateful backend-protocol server on 127.0.0.1 (uploads stored under tmp_path); stopped after the test."""
    with backend_server_module.BackendServer(tmp_path / "backend-server") as server:
        yield server
