"""An export the way a plugin does it, across all three packages, against real local servers.

The bundled sample dataset is converted to COCO (synapse-plugins), zipped and checksummed (synapse-fileutils), uploaded
to an S3-compatible server (moto, on 127.0.0.1) through the storage provider the platform's storage record names, then
fetched back through a presigned URL twice: by ``download_file`` with the expected checksum, and by a plugin parameter
model's ``FileField``. What comes back must be the same bytes and a COCO file pycocotools can load.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from synapse_fileutils import archive, calculate_checksum, download_file, get_storage, unarchive
from synapse_plugins import FileField, convert_dm_to_coco

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample_dataset"
SECRET = "wJalrXUtnFEMI-test-secret"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def storage_record(s3_endpoint: str) -> dict[str, object]:
    import boto3

    boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id="AKIDTEST", aws_secret_access_key=SECRET,
        region_name="us-east-1",
    ).create_bucket(Bucket="exports")  # fmt: skip
    return {
        "id": 7,
        "name": "team exports",
        "provider": "amazon_s3",
        "configuration": {
            "bucket_name": "exports",
            "location": "runs/42",
            "access_key": "AKIDTEST",
            "secret_key": SECRET,
            "endpoint_url": s3_endpoint,
            "region_name": "us-east-1",
        },
    }


def test_export_upload_and_fetch_back_through_a_presigned_url(
    tmp_path: Path, storage_record: dict[str, object]
) -> None:
    report = convert_dm_to_coco(SAMPLE, tmp_path / "coco")
    assert report.ok
    assert report.converted == 6
    bundle = archive(tmp_path / "coco", tmp_path / "coco.zip")
    digest = calculate_checksum(bundle, "sha256")

    storage = get_storage(storage_record)
    storage.upload(bundle, "coco.zip")
    assert storage.exists("coco.zip")
    url = storage.get_url("coco.zip", presigned=True)
    assert SECRET not in repr(storage)

    fetched = download_file(url, tmp_path / "downloads", checksum=digest, checksum_algorithm="sha256", progress=False)

    class ImportParams(BaseModel):
        dataset: FileField

    via_param = ImportParams(dataset=url).dataset
    assert fetched.read_bytes() == bundle.read_bytes() == via_param.read_bytes()

    unarchive(fetched, tmp_path / "unpacked")
    annotations = tmp_path / "unpacked" / "annotations" / "instances_train.json"
    from pycocotools.coco import COCO

    coco = COCO(str(annotations))
    assert len(coco.getImgIds()) == 4
    assert {c["name"] for c in json.loads(annotations.read_text())["categories"]} >= {"cat", "person"}
