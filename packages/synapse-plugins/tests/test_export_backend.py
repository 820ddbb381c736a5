"""The export action against the backend protocol server: the three targets, pages, faults, hostile names."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import synapse_client.testing as backend_server
from synapse_client.testing import Fault, json_reply
from synapse_plugins.export import ERROR_LIST_FILE
from synapse_testkit.backend_run import run_with_backend

PROJECT = 3
VERSION = 7  # the server's seed holds events of version 2


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Any]:
    with backend_server.BackendServer(tmp_path / "server") as running:
        running.add("projects", {"id": PROJECT, "title": "Export", "configuration": {"classes": ["cat"]}})
        running.add("gt_versions", {"id": VERSION, "name": "v7", "ground_truth_dataset": 1})
        yield running


def _file(server: Any, name: str, content: bytes) -> dict[str, Any]:
    stored = server.store_file(name, content)
    return {"url": stored["url"], "checksum": stored["checksum"], "file_name_original": name, "is_primary": True}


def _add(server: Any, target: str, count: int, *, names: list[str] | None = None) -> list[dict[str, Any]]:
    """Add ``count`` items of a target; item i has data {"i": i} and the file named names[i] (default f"{i}.jpg")."""
    records = []
    for i in range(count):
        name = names[i] if names else f"{i:03d}.jpg"
        files = {"image_1": _file(server, name, f"image {i} {name}".encode())}
        if target == "task":
            record = {"project": PROJECT, "data": {"i": i}, "data_unit": {"id": 5000 + i, "files": files}}
            records.append(server.add("tasks", record))
        elif target == "assignment":
            records.append(server.add("assignments", {"project": PROJECT, "data": {"i": i}, "files": files}))
        else:
            record = {"ground_truth_dataset_versions": VERSION, "data": {"i": i}, "data_unit": {"files": files}}
            records.append(server.add("gt_events", record))
    return records


FILTERS = {
    "task": {"project": PROJECT},
    "assignment": {"project": PROJECT},
    "ground_truth": {"ground_truth_dataset_version": VERSION},
}
LIST_PATHS = {"task": r"/sdk/tasks/", "assignment": r"/sdk/assignments/", "ground_truth": r"/sdk/ground_truth_events/"}


def _run(tmp_path: Path, server: Any, params: dict[str, Any], *, check: bool = True) -> tuple[Any, Any]:
    return run_with_backend(tmp_path, server, "export", params, category="export", check=check)


def _params(tmp_path: Path, target: str, **more: Any) -> dict[str, Any]:
    filters = {**FILTERS[target], **more.pop("filter", {})}
    return {"name": "out", "path": str(tmp_path / "exports"), "target": target, "filter": filters, **more}


@pytest.mark.parametrize("target", ["task", "assignment", "ground_truth"])
def test_each_target_exports_every_item_across_pages_reading_page_one_once(
    tmp_path: Path, server: Any, target: str
) -> None:
    _add(server, target, 5)
    result, logger = _run(tmp_path, server, _params(tmp_path, target, filter={"page_size": 2}))
    folder = Path(result["export_path"])
    assert result["count"] == 5
    assert [json.loads((folder / "json" / f"{i:03d}.json").read_text()) for i in range(5)] == [
        {"i": i} for i in range(5)
    ]
    assert [(folder / "origin_files" / f"{i:03d}.jpg").read_bytes() for i in range(5)] == [
        f"image {i} {i:03d}.jpg".encode() for i in range(5)
    ]
    pages = [r.query.get("page", ["1"])[-1] for r in server.protocol.requests_for("GET", LIST_PATHS[target])]
    assert pages == ["1", "2", "3"]  # lazily, and page 1 (with the count) once
    assert not (folder / ERROR_LIST_FILE).exists()
    assert logger.statuses[-1].status.value == "SUCCEEDED"


def _flaky_pages(server: Any, failures: int) -> Counter[str]:
    """Serve ``/sdk/tasks/`` with page 2 answering 503 ``failures`` times before the real page (page 1 is fine)."""
    calls: Counter[str] = Counter()

    def tasks(request: Any) -> Any:
        page = request.query.get("page", ["1"])[-1]
        calls[page] += 1
        if page == "2" and calls[page] <= failures:
            return json_reply({"detail": "Service Unavailable"}, 503, {"Retry-After": "0"})
        return server.page(request, list(server.table("tasks").values()))

    server.protocol.route("GET", r"/sdk/tasks/", tasks)
    return calls


def test_a_5xx_mid_export_is_retried_and_the_export_completes(tmp_path: Path, server: Any) -> None:
    _add(server, "task", 4)
    calls = _flaky_pages(server, failures=2)
    server.protocol.inject("GET", r"/files/.*", Fault.status(503, headers={"Retry-After": "0"}))
    result, _ = _run(tmp_path, server, _params(tmp_path, "task", filter={"page_size": 2}))
    folder = Path(result["export_path"])
    assert sorted(p.name for p in (folder / "json").iterdir()) == [f"{i:03d}.json" for i in range(4)]
    assert len(list((folder / "origin_files").iterdir())) == 4
    assert calls == {"1": 1, "2": 3}  # 503, 503, then the page; page 1 once


def test_a_5xx_that_outlasts_the_retries_fails_the_run_and_a_rerun_resumes(tmp_path: Path, server: Any) -> None:
    _add(server, "task", 4)
    _flaky_pages(server, failures=1000)
    _, logger = _run(tmp_path, server, _params(tmp_path, "task", filter={"page_size": 2}), check=False)
    assert logger.statuses[-1].status.value == "FAILED"
    partial = tmp_path / "exports" / "out"
    assert sorted(p.name for p in (partial / "json").iterdir()) == ["000.json", "001.json"]
    _flaky_pages(server, failures=0)
    server.protocol.clear()
    result, _ = _run(tmp_path, server, _params(tmp_path, "task", filter={"page_size": 2}))
    assert Path(result["export_path"]) == partial
    assert sorted(p.name for p in (partial / "json").iterdir()) == [f"{i:03d}.json" for i in range(4)]
    assert len(server.protocol.requests_for("GET", r"/files/.*")) == 2  # only the items the first run had not written


def test_an_original_that_404s_is_recorded_and_the_rest_export(tmp_path: Path, server: Any) -> None:
    records = _add(server, "task", 3)
    records[1]["data_unit"]["files"]["image_1"]["url"] = f"{server.url}/files/{'0' * 40}?X-Amz-Signature=s3cr3t"
    result, logger = _run(tmp_path, server, _params(tmp_path, "task"))
    folder = Path(result["export_path"])
    errors = json.loads((folder / ERROR_LIST_FILE).read_text())
    assert [name for name, _ in errors["origin_file_name"]] == ["001.jpg"]
    assert "404" in errors["origin_file_name"][0][1]
    assert "s3cr3t" not in json.dumps(errors)
    assert sorted(p.name for p in (folder / "origin_files").iterdir()) == ["000.jpg", "002.jpg"]
    assert not any(p.name.startswith(".") for p in (folder / "origin_files").iterdir())  # no partial files
    assert logger.metrics[-1]["record"]["categories"]["original_file"] == {"stand_by": 0, "success": 2, "failed": 1}


def test_a_checksum_mismatch_is_recorded(tmp_path: Path, server: Any) -> None:
    records = _add(server, "assignment", 2)
    records[0]["files"]["image_1"]["checksum"] = "f" * 40
    result, _ = _run(tmp_path, server, _params(tmp_path, "assignment"))
    errors = json.loads((Path(result["export_path"]) / ERROR_LIST_FILE).read_text())
    assert [name for name, _ in errors["origin_file_name"]] == ["000.jpg"]


def test_hostile_and_duplicate_names_are_confined_and_kept_apart(tmp_path: Path, server: Any) -> None:
    _add(server, "task", 4, names=["../../../evil.jpg", "dup.jpg", "dup.jpg", "..\\..\\win.jpg"])
    result, _ = _run(tmp_path, server, _params(tmp_path, "task"))
    folder = Path(result["export_path"])
    assert sorted(p.name for p in (folder / "origin_files").iterdir()) == [
        "dup(1).jpg",
        "dup.jpg",
        "evil.jpg",
        "win.jpg",
    ]
    assert (folder / "origin_files" / "dup(1).jpg").read_bytes() == b"image 2 dup.jpg"
    assert json.loads((folder / "json" / "dup(1).json").read_text()) == {"i": 2}
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == ["out"]


def test_zero_items_export_successfully(tmp_path: Path, server: Any) -> None:
    result, logger = _run(tmp_path, server, _params(tmp_path, "assignment"))
    assert result["count"] == 0
    assert Path(result["export_path"]).is_dir()
    assert "No results found." in logger.messages
    assert logger.progress[-1]["current_progress"]["overall"] == 100.0


def test_a_storage_id_is_looked_up_once_and_the_path_is_relative_to_it(tmp_path: Path, server: Any) -> None:
    _add(server, "task", 1)
    root = tmp_path / "storage-root"
    storage = server.add("storages", {"name": "local", "provider": "file_system",
                                      "configuration": {"location": str(root)}})  # fmt: skip
    params = {**_params(tmp_path, "task"), "storage": storage["id"], "path": "exports/2026"}
    result, _ = _run(tmp_path, server, params)
    assert Path(result["export_path"]) == (root / "exports" / "2026" / "out").resolve()
    assert (root / "exports" / "2026" / "out" / "json" / "000.json").exists()
    assert len(server.protocol.requests_for("GET", rf"/storages/{storage['id']}/")) == 1
