"""Fixtures for the storage tests: one real server per test module, and a fresh empty root per test.

Each ``*_record`` fixture is a platform storage record ``{provider, configuration}`` pointing at its own folder or key
prefix, so tests never see each other's files.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_testkit.storage_servers import (
    GCS_BUCKET,
    S3_ACCESS_KEY,
    S3_BUCKET,
    S3_SECRET_KEY,
    HTTPFaults,
    SFTPServerInfo,
    gcs_emulator,
    http_file_server,
    moto_s3_server,
    sftp_server,
)

_counter = itertools.count()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """Moto's S3 server with the test bucket created."""
    import boto3

    with moto_s3_server() as endpoint:
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY,
            region_name="us-east-1",
        )
        client.create_bucket(Bucket=S3_BUCKET)
        yield endpoint


@pytest.fixture
def s3_record(s3_endpoint: str) -> dict[str, Any]:
    """A platform storage record for a fresh prefix in the test bucket."""
    return {
        "provider": "amazon_s3",
        "configuration": {
            "bucket_name": S3_BUCKET,
            "access_key": S3_ACCESS_KEY,
            "secret_key": S3_SECRET_KEY,
            "region_name": "us-east-1",
            "endpoint_url": s3_endpoint,
            "location": f"t{next(_counter)}-{uuid.uuid4().hex[:8]}",
        },
    }


@pytest.fixture(scope="module")
def sftp_info(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SFTPServerInfo]:
    """The asyncssh SFTP server."""
    with sftp_server(tmp_path_factory.mktemp("sftp-server")) as info:
        yield info


@pytest.fixture
def sftp_record(sftp_info: SFTPServerInfo, tmp_path: Path) -> dict[str, Any]:
    """A platform storage record for a fresh folder on the SFTP server."""
    root = tmp_path / "sftp-root"
    root.mkdir()
    return {
        "provider": "sftp",
        "configuration": {
            "host": "127.0.0.1",
            "port": sftp_info.port,
            "username": sftp_info.username,
            "password": sftp_info.password,
            "root_path": str(root),
            "known_hosts": str(sftp_info.known_hosts),
        },
    }


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, HTTPFaults]]:
    """The HTTP file server over a module-wide folder."""
    with http_file_server(tmp_path_factory.mktemp("http-root")) as served:
        yield served


@pytest.fixture
def http_record(http_server: tuple[str, HTTPFaults]) -> dict[str, Any]:
    """A platform storage record for a fresh folder on the HTTP server (faults reset)."""
    base_url, faults = http_server
    faults.statuses.clear()
    faults.truncate_next = 0
    faults.required_header = None
    faults.requests.clear()
    faults.headers.clear()
    faults.gzip = False
    faults.redirects.clear()
    return {"provider": "http", "configuration": {"base_url": f"{base_url}t{next(_counter)}/", "timeout": 10}}


@pytest.fixture(scope="module")
def gcs_endpoint() -> Iterator[str]:
    """The GCS emulator with the test bucket created."""
    with gcs_emulator(GCS_BUCKET) as endpoint:
        yield endpoint


@pytest.fixture
def gcs_record(gcs_endpoint: str) -> dict[str, Any]:
    """A platform storage record for a fresh prefix in the emulator's bucket."""
    return {
        "provider": "gcp",
        "configuration": {
            "bucket_name": GCS_BUCKET,
            "credentials": "anon",
            "project": "synapse-tests",
            "endpoint_url": gcs_endpoint,
            "location": f"t{next(_counter)}-{uuid.uuid4().hex[:8]}",
        },
    }
