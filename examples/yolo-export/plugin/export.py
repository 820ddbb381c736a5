"""Export DM items as an Ultralytics YOLO dataset: images/, labels/, classes.txt, dataset.yaml, export_stats.json.

Classes and statistics are tracked in ``convert_data`` (it runs for every item, also on a resumed export); once all
items are in, ``additional_file_saving`` knows the final class list (sorted by name, so ids are stable from one export
to the next), writes one label file per image with ``synapse_plugins.converters.dm_to_yolo_lines``, and the dataset
files. Items of the local target keep their split (``train``, ``valid`` -> ``val``, ``test``).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from synapse_plugins.converters import ClassIndex, ItemError, convert_v1_to_v2, dm_to_yolo_lines, read_image_size
from synapse_plugins.converters.dm import annotation_class, image_annotations, split_to_external
from synapse_plugins.export import BaseExporter

#: DM tools YOLO detection and segmentation labels can hold.
YOLO_TOOLS = ("bounding_box", "polygon")


class YOLOExporter(BaseExporter):
    """DM -> YOLO. Original files go to ``images/<split>/``, labels to ``labels/<split>/``."""

    originals_dir = "images"

    def __init__(self, run: Any, export_items: Any, path_root: Any, **params: Any) -> None:
        super().__init__(run, export_items, path_root, **params)
        self.class_names: set[str] = set()
        self.dataset_stats: dict[str, Any] = {"total_images": 0, "total_annotations": 0, "class_distribution": {}}

    def convert_data(self, data: dict[str, Any]) -> dict[str, Any]:
        """Read the item as DM v2 and track its classes and statistics."""
        dm = data.get("data")
        if isinstance(dm, dict) and "images" not in dm and isinstance(dm.get("annotations"), dict):
            dm = convert_v1_to_v2(dm)
        if not isinstance(dm, dict):
            return data  # no annotations: save_as_json records the item as failed
        tools = image_annotations(dm, str(data.get("id")))
        count = 0
        for tool in YOLO_TOOLS:
            for annotation in tools.get(tool, []):
                name = annotation_class(annotation, str(data.get("id")))
                self.class_names.add(name)
                distribution = self.dataset_stats["class_distribution"]
                distribution[name] = distribution.get(name, 0) + 1
                count += 1
        self.dataset_stats["total_images"] += 1
        self.dataset_stats["total_annotations"] += count
        return {**data, "data": dm}

    def save_original_file(self, result: Any, base_path: Any, error_file_list: list[list[str]]) -> str:
        """Put the image under ``images/<split>/`` when the item has a split."""
        split = result.get("split")
        target = base_path / split_to_external(split) if split else base_path
        return super().save_original_file(result, target, error_file_list)

    def additional_file_saving(self, unique_export_path: Any) -> None:
        """Write the label files, then classes.txt, dataset.yaml and export_stats.json."""
        names = sorted(self.class_names)
        classes = ClassIndex(names)
        splits: set[str] = set()
        for image in self.list_export_files(self.originals_dir):
            relative = PurePosixPath(image).relative_to(self.originals_dir)
            split = relative.parts[0] if len(relative.parts) > 1 else ""
            splits.add(split)
            label = PurePosixPath("labels", relative).with_suffix(".txt").as_posix()
            try:
                dm = json.loads(self.read_export_file(f"{self.json_dir}/{relative.stem}.json"))
                width, height = self._image_size(unique_export_path, image)
                lines = dm_to_yolo_lines(dm, width=width, height=height, classes=classes, label=image).lines
            except (OSError, ValueError, ItemError) as exc:
                self.run.log_message(f"No labels for {image}: {exc}", context="warning")
                continue
            self.write_export_file(label, "".join(f"{line}\n" for line in lines))
        self.write_export_file("classes.txt", "".join(f"{name}\n" for name in names))
        self.run.log_message(f"Saved classes file: {len(names)} classes")

        def folder(split: str) -> str:
            return f"{self.originals_dir}/{split}" if split else self.originals_dir

        train = "train" if "train" in splits else ("" if "" in splits else sorted(splits)[0] if splits else "")
        config: dict[str, Any] = {}
        if isinstance(unique_export_path, Path):
            config["path"] = str(unique_export_path)
        config["train"] = folder(train)
        config["val"] = folder("val" if "val" in splits else train)
        if "test" in splits:
            config["test"] = folder("test")
        config["names"] = dict(enumerate(names))
        self.write_export_file("dataset.yaml", yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
        self.run.log_message("Saved dataset config: dataset.yaml")
        self.write_export_file("export_stats.json", {**self.dataset_stats, "classes": names})
        self.run.log_message("Saved export statistics: export_stats.json")

    def _image_size(self, unique_export_path: Any, image: str) -> tuple[int, int]:
        if isinstance(unique_export_path, Path):
            return read_image_size(unique_export_path / image)
        with tempfile.TemporaryDirectory() as scratch:  # a remote storage: read the image back
            local = Path(scratch) / PurePosixPath(image).name
            local.write_bytes(self.read_export_file(image))
            return read_image_size(local)
