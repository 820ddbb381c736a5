"""Fixtures for synapse-client tests."""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# The tests folder is not a package (pytest runs with --import-mode=importlib), so helper modules beside this file are
# loaded by path once and registered: test modules then simply `from protocol_server import ProtocolServer, ...`.
def _load_sibling(name: str) -> types.ModuleType:
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module


_protocol_server_module = _load_sibling("protocol_server")


@pytest.fixture
def protocol_server() -> Iterator[Any]:
    """A real HTTP/1.1 server on 127.0.0.1 with routes, fault injection and a request log; stopped after the test."""
    with _protocol_server_module.ProtocolServer() as server:
        yield server


_backend_server_module = _load_sibling("backend_server")


@pytest.fixture
def backend_server(tmp_path: Path) -> Iterator[Any]:
    """A stateful backend-protocol server on 127.0.0.1 (uploads stored under tmp_path); stopped after the test."""
    with _backend_server_module.BackendServer(tmp_path / "backend-server") as server:
        yield server
