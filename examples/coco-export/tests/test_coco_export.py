"""The COCO export plugin on the sample dataset through the local target, read back by pycocotools."""

from __future__ import annotations

import json
from pathlib import Path

from pycocotools.coco import COCO

from synapse_plugins.testing import run_action

PLUGIN = Path(__file__).resolve().parents[1]
DATASET = PLUGIN.parent / "sample_dataset"


def _export(out: Path) -> Path:
    outcome = run_action(PLUGIN, "export", {"name": "coco", "path": str(out), "target": "local",
                                            "filter": {"path": str(DATASET)}})  # fmt: skip
    return Path(outcome.result["export_path"])


def test_each_split_loads_in_pycocotools_with_its_images(tmp_path: Path) -> None:
    folder = _export(tmp_path)
    assert sorted(p.name for p in (folder / "annotations").iterdir()) == ["instances_train.json", "instances_val.json"]
    seen_images = 0
    for split in ("train", "val"):
        coco = COCO(str(folder / "annotations" / f"instances_{split}.json"))
        names = [c["name"] for c in coco.loadCats(coco.getCatIds())]
        assert names == sorted(names)
        for image in coco.loadImgs(coco.getImgIds()):
            assert (folder / "images" / split / image["file_name"]).is_file()
            for ann in coco.loadAnns(coco.getAnnIds(imgIds=image["id"])):
                x, y, w, h = ann["bbox"]
                assert 0 <= x <= x + w <= image["width"] + 1e-6
                assert 0 <= y <= y + h <= image["height"] + 1e-6
        seen_images += len(coco.getImgIds())
    assert seen_images == 6


def test_ids_are_unique_across_splits_and_categories_match_between_them(tmp_path: Path) -> None:
    folder = _export(tmp_path)
    files = [json.loads(p.read_text()) for p in sorted((folder / "annotations").iterdir())]
    assert files[0]["categories"] == files[1]["categories"]
    image_ids = [i["id"] for f in files for i in f["images"]]
    annotation_ids = [a["id"] for f in files for a in f["annotations"]]
    assert len(set(image_ids)) == len(image_ids)
    assert len(set(annotation_ids)) == len(annotation_ids)
