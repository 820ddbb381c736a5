"""The S3 provider against moto's S3 server on 127.0.0.1: presigned URLs, paged listing, multipart, redaction."""

from __future__ import annotations

import io
import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from synapse_fileutils.storage import StorageOperationError, get_storage
from synapse_fileutils.storage.s3 import PART_SIZE, S3Storage
from synapse_testkit.storage_servers import S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY, FailingSource


def test_presigned_url_can_be_fetched_without_credentials(s3_record: dict[str, Any]) -> None:
    storage = get_storage(s3_record)
    storage.upload(io.BytesIO(b"shared with a colleague"), "share/report.txt")

    url = storage.get_url("share/report.txt", presigned=True, expires=600)
    response = requests.get(url, timeout=10)

    assert response.status_code == 200
    assert response.content == b"shared with a colleague"
    assert S3_SECRET_KEY not in url


def test_plain_url_is_endpoint_bucket_and_key(s3_record: dict[str, Any], s3_endpoint: str) -> None:
    storage = get_storage(s3_record)
    prefix = s3_record["configuration"]["location"]
    assert storage.get_url("a b/c.json") == f"{s3_endpoint}/{S3_BUCKET}/{prefix}/a%20b/c.json"


def test_aws_url_without_endpoint_names_bucket_and_region() -> None:
    storage = S3Storage("my-bucket", region_name="ap-northeast-2", location="exports")
    assert storage.get_url("a.json") == "https://my-bucket.s3.ap-northeast-2.amazonaws.com/exports/a.json"


@pytest.mark.slow
def test_listing_pages_past_a_thousand_keys(s3_record: dict[str, Any], s3_endpoint: str) -> None:
    import boto3

    configuration = s3_record["configuration"]
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        region_name="us-east-1",
    )
    keys = [f"{configuration['location']}/many/{i // 100:02d}/{i:05d}.txt" for i in range(1050)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda k: client.put_object(Bucket=S3_BUCKET, Key=k, Body=b"ab"), keys))
    storage = get_storage(s3_record)

    listing = storage.iter_files("many")
    first = list(itertools.islice(listing, 5))

    assert len(first) == 5
    assert storage.get_path_file_count("many") == 1050
    assert storage.get_path_total_size("many") == 2100
    assert storage.get_path_file_count("many/03") == 100


def test_multipart_upload_roundtrips(s3_record: dict[str, Any], tmp_path: Path) -> None:
    payload = bytes(range(256)) * ((PART_SIZE + 3 * 1024 * 1024) // 256)
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    storage = get_storage(s3_record)

    storage.upload(source, "big.bin")

    assert storage.get_path_total_size("big.bin") == len(payload)
    assert storage.download("big.bin", tmp_path / "copy.bin").read_bytes() == payload


def test_multipart_upload_that_fails_midway_publishes_nothing(s3_record: dict[str, Any]) -> None:
    storage = get_storage(s3_record)
    with pytest.raises(OSError, match="source went away"):
        storage.upload(FailingSource(PART_SIZE + 1024), "half.bin")  # type: ignore[arg-type]
    assert not storage.exists("half.bin")


def test_parallel_multipart_upload_roundtrips_in_order(s3_record: dict[str, Any], tmp_path: Path) -> None:
    import os

    payload = os.urandom(3 * PART_SIZE + 12345)  # four parts, sent concurrently, assembled in order
    source = tmp_path / "big.bin"
    source.write_bytes(payload)
    storage = get_storage(s3_record)
    seen: list[tuple[int, int | None]] = []

    storage.upload(source, "parallel.bin", progress=lambda done, total: seen.append((done, total)))

    assert storage.download("parallel.bin", tmp_path / "copy.bin").read_bytes() == payload
    assert seen[0] == (0, len(payload))
    assert seen[-1] == (len(payload), len(payload))


def test_parallel_upload_that_fails_midway_publishes_nothing_and_aborts(s3_record: dict[str, Any]) -> None:
    storage = get_storage(s3_record)
    with pytest.raises(OSError, match="source went away"):
        # a source that announced 3 parts and breaks after 2: the parallel path (sizes are known for files)
        storage._write("half-parallel.bin", FailingSource(2 * PART_SIZE), 3 * PART_SIZE, None)  # type: ignore[arg-type]
    assert not storage.exists("half-parallel.bin")
    bucket = s3_record["configuration"]["bucket_name"]
    pending = storage._fs.call_s3("list_multipart_uploads", Bucket=bucket).get("Uploads", [])
    assert [u for u in pending if u["Key"].endswith("half-parallel.bin")] == []


def test_backend_errors_carry_no_credentials(s3_endpoint: str, tmp_path: Path) -> None:
    storage = get_storage(
        f"s3://no-such-bucket-here/x?endpoint_url={s3_endpoint}&access_key={S3_ACCESS_KEY}&secret_key={S3_SECRET_KEY}"
        "&region_name=us-east-1"
    )
    with pytest.raises(StorageOperationError) as caught:
        storage.upload(io.BytesIO(b"x"), "a.txt")
    text = f"{caught.value} {caught.value!r} {storage!r}"
    assert S3_SECRET_KEY not in text
    assert S3_ACCESS_KEY not in text
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
