"""The upload action against the backend protocol server: organization by file specifications, per-file failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import synapse_client.testing as backend_server
from synapse_client.testing import json_reply
from synapse_plugins.errors import ParamsError
from synapse_plugins.upload.action import UploadAction
from synapse_testkit.backend_run import run_with_backend

COLLECTION = 1  # the server's seed: image_1 (required), meta_json (optional)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    with backend_server.BackendServer(tmp_path / "server") as running:
        yield running


def _source(root: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


def _run(tmp_path: Path, server: Any, params: dict[str, Any], *, uploader: str | None = None) -> tuple[Any, Any]:
    hook = (uploader, "Uploader") if uploader else None
    return run_with_backend(tmp_path, server, "upload", params, category="upload", hook=hook)


def _units(server: Any, first_seed: int = 5) -> list[dict[str, Any]]:
    return server._all("data_units")[first_seed:]  # the seed holds five units


def test_files_are_grouped_by_stem_per_specification_and_uploaded(tmp_path: Path, server: Any) -> None:
    source = _source(tmp_path / "src", {"image_1/a.jpg": b"A", "image_1/sub/b.jpg": b"B", "meta_json/a.json": b"{}"})
    params = {"name": "u", "path": str(source), "collection": COLLECTION, "creating_data_unit_batch_size": 1}
    result, logger = _run(tmp_path, server, params)
    assert result == {"uploaded_files_count": 3, "generated_data_units_count": 2, "failed_files_count": 0,
                      "failed_data_units": []}  # fmt: skip
    units = _units(server)
    assert [sorted(u["files"]) for u in units] == [["image_1", "meta_json"], ["image_1"]]
    assert [u["meta"]["origin_file_stem"] for u in units] == ["a", "sub/b"]
    categories = logger.progress[-1]["record"]["categories"]
    assert set(categories) == {"analyze_collection", "upload_data_files", "generate_data_units"}
    assert logger.progress[-1]["current_progress"]["overall"] == 100.0
    assert logger.metrics[-1]["record"]["categories"]["data_units"] == {"stand_by": 0, "success": 2, "failed": 0}
    assert len(logger.events("upload_data_unit")) == 2


def test_a_file_the_server_refuses_fails_its_unit_only(tmp_path: Path, server: Any) -> None:
    def refuse_bad(request: Any) -> Any:
        if b'filename="bad.jpg"' in request.body:
            return json_reply({"file": ["Upload a valid image."]}, 400)
        return server._create_data_file(request)

    server.protocol.route("POST", r"/data_files/", refuse_bad)
    source = _source(tmp_path / "src", {f"image_1/{n}.jpg": n.encode() for n in ("a", "bad", "c", "d")})
    params = {"name": "u", "path": str(source), "data_collection": COLLECTION}
    result, logger = _run(tmp_path, server, params)
    assert result["generated_data_units_count"] == 3
    assert result["failed_files_count"] == 1
    assert [name for name, _ in result["failed_data_units"]] == ["bad"]
    assert "400" in result["failed_data_units"][0][1]
    assert sorted(u["meta"]["origin_file_stem"] for u in _units(server)) == ["a", "c", "d"]
    assert logger.statuses[-1].status.value == "SUCCEEDED"


def test_a_unit_missing_a_required_file_is_reported(tmp_path: Path, server: Any) -> None:
    source = _source(tmp_path / "src", {"image_1/a.jpg": b"A", "meta_json/orphan.json": b"{}"})
    result, _ = _run(tmp_path, server, {"name": "u", "path": str(source), "collection": COLLECTION})
    assert result["generated_data_units_count"] == 1
    assert result["failed_data_units"] == [["orphan", "missing required file for image_1"]]


def test_a_storage_id_with_a_local_folder_works_like_a_path(tmp_path: Path, server: Any) -> None:
    root = tmp_path / "storage"
    _source(root / "incoming", {"image_1/x.png": b"X"})
    storage = server.add("storages", {"name": "local", "provider": "file_system",
                                      "configuration": {"location": str(root)}})  # fmt: skip
    params = {"name": "u", "storage": storage["id"], "path": "incoming", "collection": COLLECTION}
    result, _ = _run(tmp_path, server, params)
    assert result["uploaded_files_count"] == 1
    assert [u["files"]["image_1"]["path"] for u in _units(server)] == ["x.png"]


def test_an_uploader_subclass_shapes_the_units(tmp_path: Path, server: Any) -> None:
    uploader = """
        from synapse_plugins.upload import Uploader as Base

        class Uploader(Base):
            def handle_upload_files(self):
                keep = self.extra_params["keep"]
                return [{**e, "meta": {**e["meta"], "tag": self.extra_params["tag"]}}
                        for e in self.organized_files if e["meta"]["origin_file_stem"] in keep]
    """
    source = _source(tmp_path / "src", {"image_1/a.jpg": b"A", "image_1/b.jpg": b"B"})
    params = {"name": "u", "path": str(source), "collection": COLLECTION, "extra_params": {"keep": ["b"], "tag": "t"}}
    result, _ = _run(tmp_path, server, params, uploader=uploader)
    assert result["generated_data_units_count"] == 1
    assert _units(server)[0]["meta"] == {"origin_file_stem": "b", "tag": "t"}


def test_upload_params_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ParamsError) as caught:
        UploadAction.validate_params({"name": "u", "path": "x", "collection": 1, "excel_metadata_path": "m.xlsx"})
    assert "excel_metadata_path" in caught.value.field_errors
    with pytest.raises(ParamsError) as caught:
        UploadAction.validate_params({"name": "u", "path": "x"})
    assert "collection" in caught.value.field_errors
