"""BaseExporter and the export action on the local target: the workflow, hooks, failures, names, resume."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from synapse_plugins.converters.testing import make_dm_dataset
from synapse_plugins.errors import ExportError, ParamsError
from synapse_plugins.export import ERROR_LIST_FILE, BaseExporter
from synapse_plugins.export.action import ExportAction
from synapse_plugins.export.manifest import STATE_DIR
from synapse_plugins.run import Run
from synapse_plugins.run.loggers import MemoryLogger
from synapse_plugins.testing import run_action
from synapse_testkit.plugin_factory import write_plugin


def _dataset(root: Path, count: int = 4) -> Path:
    items = {f"img_{i:03d}": [("bounding_box", "cat" if i % 2 else "dog", [1, 2, 10, 12])] for i in range(count)}
    make_dm_dataset(root, {"train": items}, size=(32, 24))
    return root


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _params(dataset: Path, out: Path, **more: Any) -> dict[str, Any]:
    return {"name": "export", "path": str(out), "target": "local", "filter": {"path": str(dataset)}, **more}


class Recording(BaseExporter):
    """Records the order hooks run in."""

    calls: list[Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = []

    def before_convert(self, data: Any) -> Any:
        self.calls.append(("before", data["id"]))
        return data

    def convert_data(self, data: Any) -> Any:
        self.calls.append(("convert", data["id"]))
        return data

    def after_convert(self, data: Any) -> Any:
        self.calls.append(("after", data["id"]))
        return data

    def additional_file_saving(self, unique_export_path: Any) -> None:
        self.calls.append(
            ("additional", unique_export_path, sorted(p.name for p in (unique_export_path / "json").iterdir()))
        )


def _items(names: list[str], data: Any = None) -> list[dict[str, Any]]:
    return [{"id": i, "data": {"n": i} if data is None else data, "files": {"file_name_original": name}}
            for i, name in enumerate(names, start=1)]  # fmt: skip


def test_hooks_run_in_order_and_additional_file_saving_once_after_the_last_item(tmp_path: Path) -> None:
    exporter = Recording(Run(), _items(["a.jpg", "b.jpg"]), tmp_path, name="out", count=2, save_original_file=False)
    folder = exporter.export()
    assert folder == tmp_path / "out"
    kinds = [call[0] for call in exporter.calls]
    assert kinds == ["before", "convert", "after", "before", "convert", "after", "additional"]
    additional = [call for call in exporter.calls if call[0] == "additional"]
    assert additional == [("additional", tmp_path / "out", ["a.json", "b.json"])]  # once, with the real folder


def test_the_folder_name_gets_a_number_when_it_exists(tmp_path: Path) -> None:
    folders = [BaseExporter(Run(), _items(["a.jpg"]), tmp_path, name="out", save_original_file=False).export()
               for _ in range(3)]  # fmt: skip
    assert [f.name for f in folders] == ["out", "out(1)", "out(2)"]


def test_an_empty_export_succeeds_and_still_calls_additional_file_saving(tmp_path: Path) -> None:
    exporter = Recording(Run(), [], tmp_path, name="empty", count=0, save_original_file=False)
    assert exporter.export() == tmp_path / "empty"
    assert exporter.calls == [("additional", tmp_path / "empty", [])]
    assert not (tmp_path / "empty" / ERROR_LIST_FILE).exists()
    assert not (tmp_path / "empty" / STATE_DIR).exists()


def test_a_hook_raising_on_one_item_fails_that_item_only(tmp_path: Path) -> None:
    class Picky(BaseExporter):
        def convert_data(self, data: Any) -> Any:
            if data["id"] == 2:
                raise ValueError("cannot convert item 2")
            return data

    logger = MemoryLogger()
    folder = Picky(Run(logger), _items(["a.jpg", "b.jpg", "c.jpg"]), tmp_path, name="out", count=3,
                   save_original_file=False).export()  # fmt: skip
    assert sorted(p.name for p in (folder / "json").iterdir()) == ["a.json", "c.json"]
    errors = json.loads((folder / ERROR_LIST_FILE).read_text())
    assert errors == {"json_file_name": [["b.jpg", "conversion failed: ValueError: cannot convert item 2"]],
                      "origin_file_name": []}  # fmt: skip
    assert logger.metrics[-1]["record"]["categories"]["data_file"] == {"stand_by": 0, "success": 2, "failed": 1}
    # the error list is written before the run's closing message
    assert logger.messages[-1] == "Plugin run is complete."


def test_null_data_is_recorded_and_the_rest_export(tmp_path: Path) -> None:
    items = [*_items(["a.jpg"]), {"id": 9, "data": None, "files": {"file_name_original": "n.jpg"}}]
    folder = BaseExporter(Run(), items, tmp_path, name="out", save_original_file=False).export()
    assert json.loads((folder / ERROR_LIST_FILE).read_text())["json_file_name"] == [["n.json", "data is null"]]
    assert (folder / "json" / "a.json").exists()


def test_names_from_the_server_are_confined_and_deduplicated(tmp_path: Path) -> None:
    names = ["../../escape.jpg", "same.jpg", "same.jpg", "SAME.png", "..", "dir\\inner.jpg"]
    folder = BaseExporter(Run(), _items(names), tmp_path, name="out", save_original_file=False).export()
    written = sorted(p.name for p in (folder / "json").iterdir())
    assert written == ["SAME(2).json", "escape.json", "inner.json", "item_5.json", "same(1).json", "same.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # nothing escaped the export folder
    assert json.loads((folder / "json" / "same(1).json").read_text()) == {"n": 3}


@pytest.mark.parametrize("name", ["../up", "a/b", ".hidden", ""])
def test_an_export_name_with_a_folder_part_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ExportError):
        BaseExporter(Run(), [], tmp_path, name=name).export()
    dataset = _dataset(tmp_path / "dm", 1)
    with pytest.raises(ParamsError) as caught:
        ExportAction.validate_params(_params(dataset, tmp_path / "o", name=name))
    assert "name" in caught.value.field_errors


def test_the_local_target_exports_json_and_originals(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path / "dm", 3)
    outcome = run_action(ExportAction, "export", _params(dataset, tmp_path / "out"))
    folder = Path(outcome.result["export_path"])
    assert outcome.result["count"] == 3
    assert folder == tmp_path / "out" / "export"
    assert sorted(p.name for p in (folder / "json").iterdir()) == ["img_000.json", "img_001.json", "img_002.json"]
    originals = sorted((folder / "origin_files").iterdir())
    assert [p.name for p in originals] == ["img_000.png", "img_001.png", "img_002.png"]
    assert originals[0].read_bytes() == (dataset / "train" / "original_files" / "img_000.png").read_bytes()
    assert outcome.metrics["original_file"] == {"stand_by": 0, "success": 3, "failed": 0}
    assert outcome.progress[-1]["current_progress"]["overall"] == 100.0
    assert len(outcome.events("export_original_file")) == 3
    assert len(outcome.events("export_data_file")) == 3
    json.dumps(outcome.result)  # the result crosses processes as JSON


def test_save_original_file_defaults_to_true_and_false_skips_originals(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path / "dm", 2)
    assert ExportAction.validate_params(_params(dataset, tmp_path)).save_original_file is True
    outcome = run_action(ExportAction, "export", _params(dataset, tmp_path / "out", save_original_file=False))
    folder = Path(outcome.result["export_path"])
    assert not (folder / "origin_files").exists()
    assert len(list((folder / "json").iterdir())) == 2


def test_a_missing_original_file_is_recorded(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path / "dm", 3)
    (dataset / "train" / "original_files" / "img_001.png").unlink()
    outcome = run_action(ExportAction, "export", _params(dataset, tmp_path / "out"))
    folder = Path(outcome.result["export_path"])
    errors = json.loads((folder / ERROR_LIST_FILE).read_text())
    assert [name for name, _ in errors["origin_file_name"]] == ["img_001.json"]
    assert sorted(p.name for p in (folder / "json").iterdir()) == ["img_000.json", "img_002.json"]


def test_a_local_target_that_is_not_a_dm_dataset_fails_clearly(tmp_path: Path) -> None:
    outcome = run_action(ExportAction, "export", _params(tmp_path, tmp_path / "out"), check=False)
    assert outcome.error is not None
    assert "not a DM dataset" in str(outcome.error)


def test_a_backend_target_without_credentials_fails_clearly(tmp_path: Path) -> None:
    params = {"name": "x", "path": str(tmp_path), "target": "task", "filter": {"project": 1}}
    outcome = run_action(ExportAction, "export", params, check=False)
    assert outcome.error is not None
    assert "SYNAPSE_HOST" in str(outcome.error)


def test_a_plugin_folder_naming_a_base_exporter_subclass_runs_it(tmp_path: Path) -> None:
    plugin = write_plugin(
        tmp_path,
        {"export": """
            from synapse_plugins.export import BaseExporter

            class Upper(BaseExporter):
                def convert_data(self, data):
                    return {**data, "data": {"upper": data["id"].upper()}}

                def additional_file_saving(self, unique_export_path):
                    self.write_export_file("summary.txt", "done\\n")
        """},
        {"export": {"entrypoint": "{pkg}.export:Upper"}},
        category="export",
    )  # fmt: skip
    dataset = _dataset(tmp_path / "dm", 1)
    outcome = run_action(plugin, "export", _params(dataset, tmp_path / "out", save_original_file=False))
    folder = Path(outcome.result["export_path"])
    assert json.loads((folder / "json" / "img_000.json").read_text()) == {"upper": "TRAIN/JSON/IMG_000.JSON"}
    assert (folder / "summary.txt").read_text() == "done\n"


class Interrupting(BaseExporter):
    """Stops the process (as a kill or a stopped job would) after ``stop_after`` items."""

    stop_after = -1

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.classes: set[str] = set()

    def convert_data(self, data: Any) -> Any:
        self.classes.add(data["data"]["images"][0]["bounding_box"][0]["classification"])
        return data

    def after_convert(self, data: Any) -> Any:
        if data["id"].endswith(f"{type(self).stop_after:03d}.json"):
            raise KeyboardInterrupt
        return data

    def additional_file_saving(self, unique_export_path: Any) -> None:
        self.write_export_file("classes.txt", "\n".join(sorted(self.classes)))


def test_a_resumed_export_equals_an_uninterrupted_one(tmp_path: Path) -> None:
    from synapse_plugins.export.targets import open_target

    dataset = _dataset(tmp_path / "dm", 12)

    def export(out: Path) -> Path:
        found = open_target("local", {"path": str(dataset)})
        exporter = Interrupting(Run(), found.items, out, name="run", count=found.count, save_original_file=True)
        exporter.download_workers = 2
        result: Path = exporter.export()
        return result

    uninterrupted = export(tmp_path / "a")
    Interrupting.stop_after = 7
    try:
        with pytest.raises(KeyboardInterrupt):
            export(tmp_path / "b")
        partial = tmp_path / "b" / "run"
        assert (partial / STATE_DIR).is_dir()
        assert not (partial / "classes.txt").exists()
        written_before = {p.name: p.stat().st_mtime_ns for p in (partial / "json").iterdir()}
        assert len(written_before) == 7
    finally:
        Interrupting.stop_after = -1
    resumed = export(tmp_path / "b")
    assert resumed == partial  # the same folder, not run(1)
    assert _snapshot(resumed) == _snapshot(uninterrupted)
    # items written before the interruption were not written again
    assert {n: (resumed / "json" / n).stat().st_mtime_ns for n in written_before} == written_before
    # a completed export is not resumed: the next run makes run(1)
    assert export(tmp_path / "b") == tmp_path / "b" / "run(1)"


def test_an_export_with_other_params_does_not_resume_an_unfinished_folder(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    (folder / STATE_DIR).mkdir(parents=True)
    (folder / STATE_DIR / "state.json").write_text(json.dumps({"fingerprint": "other", "version": 1}))
    result = BaseExporter(Run(), _items(["a.jpg"]), tmp_path, name="run", save_original_file=False).export()
    assert result == tmp_path / "run(1)"


def test_export_params_cross_processes_as_json(tmp_path: Path) -> None:
    from synapse_plugins.execution import Invocation

    raw = _params(tmp_path, tmp_path / "out", extra_params={"classes": ["cat"]})
    params = ExportAction.validate_params(raw)
    assert ExportAction.validate_params(json.loads(params.model_dump_json())) == params
    assert pickle.loads(pickle.dumps(params)) == params
    invocation = Invocation.create(tmp_path, "export", raw)
    assert Invocation.from_json(invocation.to_json()).params == raw


def test_an_export_into_a_non_local_storage_writes_through_the_storage(tmp_path: Path) -> None:
    local_fs = pytest.importorskip("fsspec.implementations.local")  # installed with the storage extras (nox, CI)
    from synapse_fileutils.storage.remote import FsspecStorage
    from synapse_plugins.export.targets import open_target

    class Summary(BaseExporter):
        def additional_file_saving(self, unique_export_path: Any) -> None:
            self.write_export_file("summary.json", {"files": self.list_export_files("json")})

    dataset = _dataset(tmp_path / "dm", 3)
    storage = FsspecStorage(local_fs.LocalFileSystem(), str(tmp_path / "bucket"))
    found = open_target("local", {"path": str(dataset)})
    exporter = Summary(Run(), found.items, storage.get_pathlib("exports"), name="remote", count=found.count)
    exporter.export_storage = storage
    folder = exporter.export()
    assert folder.key == "exports/remote"
    written = tmp_path / "bucket" / "exports" / "remote"
    assert sorted(p.relative_to(written).as_posix() for p in written.rglob("*") if p.is_file()) == [
        "json/img_000.json", "json/img_001.json", "json/img_002.json",
        "origin_files/img_000.png", "origin_files/img_001.png", "origin_files/img_002.png", "summary.json",
    ]  # fmt: skip
    assert json.loads((written / "summary.json").read_text())["files"][0] == "json/img_000.json"


def test_the_local_target_reads_dm_schema_v1_files_as_v2(tmp_path: Path) -> None:
    from synapse_plugins.export.targets import open_target

    (tmp_path / "dm" / "json").mkdir(parents=True)
    v1 = {
        "annotations": {"image_1": [{"id": "a", "tool": "bounding_box", "classification": {"class": "cat"}}]},
        "annotationsData": {"image_1": [{"id": "a", "coordinate": {"x": 1, "y": 2, "width": 3, "height": 4}}]},
    }
    (tmp_path / "dm" / "json" / "one.json").write_text(json.dumps(v1))
    (tmp_path / "dm" / "json" / "broken.json").write_text("{not json")
    items = {item["id"]: item for item in open_target("local", {"path": str(tmp_path / "dm")}).items}
    assert items["json/one.json"]["data"]["images"][0]["bounding_box"][0]["data"] == [1, 2, 3, 4]
    assert items["json/broken.json"]["data"] is None
    assert items["json/broken.json"]["error"].startswith("not readable JSON")
