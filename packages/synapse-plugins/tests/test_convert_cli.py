"""The `synapse convert` command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from synapse_plugins import __version__
from synapse_plugins.cli import cli
from synapse_plugins.converters.testing import make_dm_dataset


def test_dm_to_yolo_with_explicit_classes(tmp_path: Path) -> None:
    make_dm_dataset(tmp_path / "dm", {"train": {"a": [("bounding_box", "dog", [0, 0, 32, 24])]}})
    result = CliRunner().invoke(
        cli,
        ["convert", "--from", "dm", "--to", "yolo", "--classes", "cat,dog", str(tmp_path / "dm"), str(tmp_path / "y")],
    )
    assert result.exit_code == 0, result.output
    assert "converted 1 items" in result.output
    assert "classes: 0=cat, 1=dog" in result.output
    assert (tmp_path / "y" / "labels" / "train" / "a.txt").read_text() == "1 0.25 0.25 0.5 0.5\n"


def test_failures_are_listed_and_the_exit_status_is_1(tmp_path: Path) -> None:
    make_dm_dataset(tmp_path / "dm", {None: {"good": [], "bad": [("bounding_box", "x", [0, 0, -1, 1])]}})
    result = CliRunner().invoke(
        cli, ["convert", "--from", "dm", "--to", "coco", str(tmp_path / "dm"), str(tmp_path / "c")]
    )
    assert result.exit_code == 1
    assert "failed: json/bad.json: bounding box has a negative size" in result.output
    assert "converted 1 items" in result.output
    assert "1 failed" in result.output
    assert json.loads((tmp_path / "c" / "annotations" / "instances_default.json").read_text())["images"]


def test_strict_stops_with_exit_status_2(tmp_path: Path) -> None:
    make_dm_dataset(tmp_path / "dm", {None: {"bad": [("bounding_box", "x", [0, 0, -1, 1])]}})
    args = ["convert", "--from", "dm", "--to", "voc", "--strict", str(tmp_path / "dm"), str(tmp_path / "v")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "error: json/bad.json: bounding box has a negative size" in result.output


def test_unsupported_pairs_and_misplaced_options_are_usage_errors(tmp_path: Path) -> None:
    make_dm_dataset(tmp_path / "dm", {None: {"a": []}})
    runner = CliRunner()
    result = runner.invoke(
        cli, ["convert", "--from", "dm-v1", "--to", "yolo", str(tmp_path / "dm"), str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "cannot convert dm-v1 to yolo" in result.output
    result = runner.invoke(cli, ["convert", "--from", "dm", "--to", "voc", "--classes", "a", str(tmp_path / "dm"), "o"])
    assert result.exit_code == 2
    assert "--classes applies to --to coco and --to yolo only" in result.output
    assert not (tmp_path / "o").exists()


def test_classes_file_and_v1_to_v2(tmp_path: Path) -> None:
    (tmp_path / "v1" / "json").mkdir(parents=True)
    v1 = {"annotations": {"image_1": [{"id": "k", "tool": "keypoint", "classification": {"class": "eye"}}]},
          "annotationsData": {"image_1": [{"id": "k", "coordinate": {"x": 1, "y": 2}}]}}  # fmt: skip
    (tmp_path / "v1" / "json" / "a.json").write_text(json.dumps(v1))
    result = CliRunner().invoke(
        cli, ["convert", "--from", "dm-v1", "--to", "dm-v2", str(tmp_path / "v1"), str(tmp_path / "v2")]
    )
    assert result.exit_code == 0, result.output
    v2 = json.loads((tmp_path / "v2" / "json" / "a.json").read_text())
    assert v2["images"][0]["keypoint"][0]["data"] == [1, 2]
    (tmp_path / "names.txt").write_text("eye\nnose\n")
    result = CliRunner().invoke(
        cli, ["convert", "--from", "dm", "--to", "coco", "--classes-file", str(tmp_path / "names.txt"),
              str(tmp_path / "v2"), str(tmp_path / "coco")],
    )  # fmt: skip
    assert result.exit_code == 1  # the item has no image in original_files
    assert "no image named a.*" in result.output


def test_version_still_works_and_convert_is_listed() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.output.strip() == f"synapse-plugins {__version__}"
    out = subprocess.run(
        [sys.executable, "-m", "synapse_plugins", "--help"], capture_output=True, text=True, check=True
    )
    assert "convert" in out.stdout


def test_convert_json_report_and_os_errors_are_one_line(tmp_path):
    source = tmp_path / "dm"
    make_dm_dataset(source, {"train": {"a": [("bounding_box", "cat", [1, 1, 5, 5])], "b": []}})
    (source / "train" / "json" / "b.json").write_text("{not json")
    runner = CliRunner()
    result = runner.invoke(cli, ["convert", "--from", "dm", "--to", "coco", str(source), str(tmp_path / "c"), "--json"])
    report = json.loads(result.stdout)
    assert report["converted"] == 1
    assert [f["path"] for f in report["failures"]] == ["train/json/b.json"]
    assert result.exit_code == 1
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = runner.invoke(cli, ["convert", "--from", "dm", "--to", "coco", str(source), str(blocker / "sub")])
    assert result.exit_code == 2
    assert result.output.startswith("error: ")
    assert "Traceback" not in result.output
