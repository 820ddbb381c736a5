"""The YOLO export plugin on the sample dataset through the local target: what a YOLO trainer reads is there."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from synapse_plugins.converters import read_image_size
from synapse_plugins.testing import run_action

PLUGIN = Path(__file__).resolve().parents[1]
DATASET = PLUGIN.parent / "sample_dataset"


def _export(out: Path, **params: object) -> Path:
    outcome = run_action(PLUGIN, "export", {"name": "street", "path": str(out), "target": "local",
                                            "filter": {"path": str(DATASET)}, **params})  # fmt: skip
    return Path(outcome.result["export_path"])


def test_the_export_is_a_yolo_dataset_a_loader_accepts(tmp_path: Path) -> None:
    folder = _export(tmp_path)
    config = yaml.safe_load((folder / "dataset.yaml").read_text())
    names = (folder / "classes.txt").read_text().splitlines()
    assert names == sorted(names)
    assert config["names"] == dict(enumerate(names))
    assert Path(config["path"]) == folder
    for split in ("train", "val"):
        images = sorted((folder / config[split]).iterdir())
        assert images, split
        for image in images:
            # Ultralytics finds a label by replacing /images/ with /labels/ and the suffix with .txt
            label = Path(str(image).replace("/images/", "/labels/")).with_suffix(".txt")
            width, height = read_image_size(image)
            assert width > 0
            assert height > 0
            for line in label.read_text().splitlines():
                class_id, *coords = line.split()
                assert 0 <= int(class_id) < len(names)
                # a box (cx cy w h) or a polygon (x1 y1 x2 y2 x3 y3 ...), normalized
                assert len(coords) == 4 or (len(coords) >= 6 and len(coords) % 2 == 0)
                assert all(0.0 <= float(c) <= 1.0 for c in coords)


def test_stats_count_every_annotation_and_match_the_labels(tmp_path: Path) -> None:
    folder = _export(tmp_path)
    stats = json.loads((folder / "export_stats.json").read_text())
    lines = [line for label in folder.glob("labels/*/*.txt") for line in label.read_text().splitlines()]
    assert stats["total_images"] == 6 == len(list(folder.glob("images/*/*")))
    assert stats["total_annotations"] == len(lines) == sum(stats["class_distribution"].values())
    names = (folder / "classes.txt").read_text().splitlines()
    per_class = {name: sum(1 for line in lines if int(line.split()[0]) == i) for i, name in enumerate(names)}
    assert per_class == stats["class_distribution"]


def test_class_ids_are_the_same_from_one_export_to_the_next(tmp_path: Path) -> None:
    first, second = _export(tmp_path), _export(tmp_path)
    assert second.name == "street(1)"
    assert (first / "classes.txt").read_bytes() == (second / "classes.txt").read_bytes()
    for label in first.glob("labels/*/*.txt"):
        assert label.read_bytes() == (second / label.relative_to(first)).read_bytes()
