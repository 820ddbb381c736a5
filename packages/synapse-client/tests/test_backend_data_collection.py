"""upload_data_collection against the backend-protocol server: skips known files, batches units, never pickles."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synapse_client.backend import BackendClient, DataUnit
from synapse_client.errors import BadRequestError
from synapse_client.testing import ACCESS_TOKEN, TENANT


class UnpicklableClient(BackendClient):
    """Fails loudly if anything tries to pickle it (upload_data_collection must use threads, not processes)."""

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise AssertionError("the client was pickled")


@pytest.fixture
def client(backend_server: Any) -> Iterator[BackendClient]:
    with UnpicklableClient(backend_server.url, access_token=ACCESS_TOKEN, tenant=TENANT, backoff=0) as c:
        yield c


def _dataset(tmp_path: Path, count: int) -> list[dict[str, Any]]:
    entries = []
    for index in range(count):
        image = tmp_path / f"img_{index}.jpg"
        image.write_bytes(f"image {index}".encode() * 50)
        entries.append({"image_1": image})
    return entries


def test_uploads_files_creates_units_and_tasks_in_batches(
    backend_server: Any, client: BackendClient, tmp_path: Path
) -> None:
    dataset = _dataset(tmp_path, 5)
    known = backend_server.store_file("img_0.jpg", dataset[0]["image_1"].read_bytes())  # the server has this one
    dataset[1] = {"files": {"image_1": dataset[1]["image_1"]}, "meta": {"camera": "front"}}
    seen: list[tuple[int, int | None]] = []
    units = client.upload_data_collection(
        1, dataset, project_id=1, batch_size=2, max_workers=2, progress=lambda d, t: seen.append((d, t))
    )
    assert len(units) == 5
    assert all(isinstance(unit, DataUnit) for unit in units)
    assert units[0].files["image_1"] == {"checksum": known["checksum"], "path": "img_0.jpg"}
    assert units[1].meta == {"camera": "front"}
    for index, unit in enumerate(units):
        expected = hashlib.sha1(f"image {index}".encode() * 50).hexdigest()
        assert unit.files["image_1"]["checksum"] == expected
        assert unit.data_collection == 1
    uploads = backend_server.protocol.requests_for("POST", r"/data_files/")
    assert len(uploads) == 4  # the known file was skipped
    assert len({request.client_port for request in uploads}) <= 2  # at most max_workers connections
    assert len(backend_server.protocol.requests_for("POST", r"/data_units/")) == 3  # batches of 2, 2, 1
    tasks = backend_server.protocol.requests_for("POST", r"/tasks/")
    assert [task["data_unit"] for request in tasks for task in request.json()] == [unit.id for unit in units]
    assert seen[0] == (0, 5)
    assert seen[-1] == (5, 5)


def test_the_same_file_twice_is_uploaded_once(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    dataset = _dataset(tmp_path, 1) * 3
    seen: list[tuple[int, int | None]] = []
    units = client.upload_data_collection(1, dataset, batch_size=2, progress=lambda d, t: seen.append((d, t)))
    assert len(units) == 3
    assert len(backend_server.protocol.requests_for("POST", r"/data_files/")) == 1
    assert seen[-1] == (1, 1)  # one distinct file, counted once across batches


def test_large_files_use_the_chunked_upload(backend_server: Any, client: BackendClient, tmp_path: Path) -> None:
    dataset = _dataset(tmp_path, 2)
    units = client.upload_data_collection(1, dataset, progress=False, chunked_upload_threshold=100)
    assert len(units) == 2
    assert len(backend_server.protocol.requests_for("PUT", r"/chunked_upload/")) == 2
    assert [request.json()["meta"] for request in backend_server.protocol.requests_for("POST", r"/data_files/")] in (
        [{"filename": "img_0.jpg"}, {"filename": "img_1.jpg"}],
        [{"filename": "img_1.jpg"}, {"filename": "img_0.jpg"}],
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"meta_json": "x"}, "required file(s) missing: image_1"),
        ({"image_1": "IMG", "lidar": "IMG"}, "unknown file specification(s) lidar"),
        ({"image_1": "missing.jpg"}, "is not a file"),
        ("not a mapping", "expected a mapping"),
    ],
)
def test_invalid_entries_fail_before_any_upload(
    backend_server: Any, client: BackendClient, tmp_path: Path, entry: Any, message: str
) -> None:
    image = tmp_path / "ok.jpg"
    image.write_bytes(b"ok")
    if isinstance(entry, dict):
        entry = {key: image if value == "IMG" else tmp_path / value for key, value in entry.items()}
    with pytest.raises(BadRequestError) as info:
        client.upload_data_collection(1, [{"image_1": image}, entry], progress=False)
    assert message in str(info.value)
    assert backend_server.protocol.requests_for("POST", r".*") == []


def test_invalid_batch_size(client: BackendClient) -> None:
    with pytest.raises(BadRequestError):
        client.upload_data_collection(1, [], batch_size=0)
