"""Export DM items as COCO: images/<split>/, annotations/instances_<split>.json.

``convert_data`` collects the class names of every item (it runs for every item, also on a resumed export);
``additional_file_saving`` then gives categories ids in name order (stable from one export to the next) and writes
each split's instances file with ``synapse_plugins.converters.dm_to_coco_item``, streaming: one item in memory at a
time, the file assembled in a temp file and stored through the export's storage.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path, PurePosixPath
from typing import IO, Any

from synapse_plugins.converters import CocoCategories, ItemError, convert_v1_to_v2, dm_to_coco_item, read_image_size
from synapse_plugins.converters.dm import annotation_class, image_annotations, split_to_external
from synapse_plugins.export import BaseExporter


class CocoExporter(BaseExporter):
    """DM -> COCO instances. Original files go to ``images/<split>/`` (``default`` without a split)."""

    originals_dir = "images"

    def __init__(self, run: Any, export_items: Any, path_root: Any, **params: Any) -> None:
        super().__init__(run, export_items, path_root, **params)
        self.class_names: set[str] = set()

    def convert_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """Read the item as DM v2 and collect its class names."""
        dm = data.get("data")
        if isinstance(dm, dict) and "images" not in dm and isinstance(dm.get("annotations"), dict):
            dm = convert_v1_to_v2(dm)
        if not isinstance(dm, dict):
            return data
        for by_tool in image_annotations(dm, str(data.get("id"))).values():
            for annotation in by_tool:
                if annotation.get("classification") is not None:
                    self.class_names.add(annotation_class(annotation, str(data.get("id"))))
        return {**data, "data": dm}

    def save_original_file(self, result: Any, base_path: Any, error_file_list: list[list[str]]) -> str:
        """Put the image under ``images/<split>/``."""
        return super().save_original_file(result, base_path / split_to_external(result.get("split")), error_file_list)

    def additional_file_saving(self, unique_export_path: Any) -> None:
        """Write ``annotations/instances_<split>.json`` for every split."""
        categories = CocoCategories(sorted(self.class_names))
        by_split: dict[str, list[str]] = {}
        for image in self.list_export_files(self.originals_dir):
            by_split.setdefault(PurePosixPath(image).parts[1], []).append(image)
        image_id = annotation_id = 0
        with tempfile.TemporaryDirectory(prefix="coco-export-") as scratch:
            for split, images in sorted(by_split.items()):
                images_spool = Path(scratch) / f"{split}.images"
                annotations_spool = Path(scratch) / f"{split}.annotations"
                with images_spool.open("w", encoding="utf-8") as out_images, \
                     annotations_spool.open("w", encoding="utf-8") as out_annotations:  # fmt: skip
                    for image in images:
                        name = PurePosixPath(image).name
                        try:
                            dm = json.loads(self.read_export_file(f"{self.json_dir}/{PurePosixPath(name).stem}.json"))
                            width, height = self._image_size(unique_export_path, image, scratch)
                            item = dm_to_coco_item(dm, file_name=name, width=width, height=height,
                                                   image_id=image_id + 1, categories=categories,
                                                   first_annotation_id=annotation_id + 1)  # fmt: skip
                        except (OSError, ValueError, ItemError) as exc:
                            self.run.log_message(f"Not in COCO: {image}: {exc}", context="warning")
                            continue
                        image_id += 1
                        annotation_id += len(item.annotations)
                        out_images.write(json.dumps(item.image, ensure_ascii=False) + "\n")
                        for annotation in item.annotations:
                            out_annotations.write(json.dumps(annotation, ensure_ascii=False) + "\n")
                target = Path(scratch) / f"instances_{split}.json"
                _assemble(target, images_spool, annotations_spool, categories.to_coco())
                self.write_export_file(f"annotations/instances_{split}.json", target)
        self.run.log_message(f"Saved COCO annotations: {image_id} images, {annotation_id} annotations, "
                             f"{len(categories.index)} categories")  # fmt: skip

    def _image_size(self, unique_export_path: Any, image: str, scratch: str) -> tuple[int, int]:
        if isinstance(unique_export_path, Path):
            return read_image_size(unique_export_path / image)
        local = Path(scratch) / "image"
        local.write_bytes(self.read_export_file(image))
        return read_image_size(local)


def _copy_lines(spool: Path, out: IO[str]) -> None:
    with spool.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            out.write((", " if number else "") + line.rstrip("\n"))


def _assemble(target: Path, images: Path, annotations: Path, categories: list[dict[str, Any]]) -> None:
    with target.open("w", encoding="utf-8") as out:
        out.write('{"info": {"description": "Exported by the coco-export plugin"}, "licenses": [], "categories": ')
        out.write(json.dumps(categories, ensure_ascii=False))
        out.write(', "images": [')
        _copy_lines(images, out)
        out.write('], "annotations": [')
        _copy_lines(annotations, out)
        out.write("]}")
