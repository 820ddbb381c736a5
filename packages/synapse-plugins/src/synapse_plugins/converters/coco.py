"""DM <-> COCO (object detection, instance segmentation and keypoints).

Mapping (DM v2 -> COCO):

- ``bounding_box`` -> an annotation with ``bbox`` and an empty ``segmentation``;
- ``polygon`` -> an annotation with a polygon ``segmentation``, its extent as ``bbox`` and its area;
- ``segmentation`` (row-major pixel indices) -> an RLE ``segmentation`` with ``iscrowd`` 0;
- a ``group`` holding keypoints (and at most one bounding box) -> one keypoint instance: the group's class is the
  category, each keypoint's class is a keypoint name of that category, the box (or the keypoints' extent) is the
  ``bbox``; keypoints outside any group form one instance of the category ``keypoints`` per image;
- ``attrs`` -> ``attributes`` (``{name: value}``, as datumaro writes them);
- ``polyline``, ``relation`` and groups without keypoints cannot be held and are counted in the report.

COCO -> DM is the reverse; an RLE mask becomes a ``segmentation`` annotation, a polygon with several rings becomes one
polygon per ring, and a keypoint instance becomes a group of its box and its labeled keypoints (visibility 1 is kept
as an attribute ``visibility``).

Layouts read: ``annotations/<task>_<split>.json`` with ``images/<split>/`` (or ``images/``), Roboflow's
``<split>/_annotations.coco.json`` with the images beside it, or one JSON file. Written: ``annotations/
instances_<split>.json`` and ``images/<split>/`` (``valid`` becomes ``val``, no split becomes ``default``).

Example:
    >>> categories = CocoCategories()
    >>> data = {"images": [{"bounding_box": [{"classification": "cat", "data": [1, 2, 3, 4]}]}]}
    >>> item = dm_to_coco_item(data, file_name="a.jpg", width=10, height=10, image_id=1, categories=categories)
    >>> item.annotations[0]["bbox"], categories.to_coco()[0]["name"]
    ([1.0, 2.0, 3.0, 4.0], 'cat')
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from synapse_fileutils.atomic import atomic_write

from .classes import ClassIndex
from .dm import (
    DMItemBuilder,
    ItemRunner,
    annotation_attrs,
    annotation_class,
    image_annotations,
    iter_dm_items,
    keypoint_groups,
    read_dm_item,
    refuse_nonempty_target,
    split_from_external,
    split_to_external,
    write_dm_item,
)
from .errors import ConversionError, ItemError, LayoutError
from .files import BackgroundWriter, ImageMode, place_image, safe_member
from .geometry import as_box, as_point, as_points, points_bbox, polygon_area
from .imagesize import read_image_size
from .report import ConversionReport, ProgressCallback
from .rle import pixels_to_rle, rle_to_pixels

__all__ = [
    "CocoCategories",
    "CocoItem",
    "coco_item_to_dm",
    "convert_coco_to_dm",
    "convert_dm_to_coco",
    "dm_to_coco_item",
]

#: Category of keypoints that belong to no group.
DEFAULT_KEYPOINT_CATEGORY = "keypoints"


class CocoCategories:
    """COCO categories built while items are converted: stable ids and keypoint names per category.

    Args:
        classes: The category names in id order (ids start at 1); when given, an unknown class is an item error.

    Example:
        >>> categories = CocoCategories(["person"])
        >>> categories.category_id("person"), categories.keypoint_index("person", "nose")
        (1, 0)
        >>> categories.to_coco()
        [{'id': 1, 'name': 'person', 'supercategory': '', 'keypoints': ['nose'], 'skeleton': []}]
    """

    def __init__(self, classes: Iterable[str] | None = None) -> None:
        self.index = ClassIndex(classes)
        self._keypoints: dict[str, list[str]] = {}

    def category_id(self, name: str) -> int:
        """Return the category id of ``name`` (1-based).

        Args:
            name: The class name.

        Returns:
            The id.

        Raises:
            ItemError: The categories are fixed and ``name`` is not among them.

        Example:
            >>> CocoCategories().category_id("a")
            1
        """
        return self.index.index(name) + 1

    def keypoint_index(self, category: str, keypoint: str) -> int:
        """Return the position of the keypoint name in the category's keypoint list, appending it when new.

        Args:
            category: The category name.
            keypoint: The keypoint name.

        Returns:
            Its zero-based position.

        Example:
            >>> c = CocoCategories()
            >>> c.keypoint_index("p", "a"), c.keypoint_index("p", "b"), c.keypoint_index("p", "a")
            (0, 1, 0)
        """
        names = self._keypoints.setdefault(category, [])
        if keypoint not in names:
            names.append(keypoint)
        return names.index(keypoint)

    def keypoint_count(self, category_id: int) -> int:
        """Return how many keypoint names the category with this id has now.

        Args:
            category_id: The 1-based id.

        Returns:
            The count (0 for a category without keypoints).

        Example:
            >>> CocoCategories().keypoint_count(1)
            0
        """
        names = self.index.names
        if not 0 < category_id <= len(names):
            return 0
        return len(self._keypoints.get(names[category_id - 1], []))

    def to_coco(self) -> list[dict[str, Any]]:
        """Return the COCO ``categories`` list.

        Returns:
            One entry per class, with ``keypoints`` and ``skeleton`` for classes that have keypoints.

        Example:
            >>> CocoCategories(["a"]).to_coco()
            [{'id': 1, 'name': 'a', 'supercategory': ''}]
        """
        result: list[dict[str, Any]] = []
        for position, name in enumerate(self.index.names):
            entry: dict[str, Any] = {"id": position + 1, "name": name, "supercategory": ""}
            if name in self._keypoints:
                entry["keypoints"] = list(self._keypoints[name])
                entry["skeleton"] = []
            result.append(entry)
        return result


@dataclass
class CocoItem:
    """One image converted to COCO.

    Attributes:
        image: The ``images`` entry.
        annotations: The ``annotations`` entries of the image.
        dropped: Annotations COCO cannot hold, per DM tool.

    Example:
        >>> CocoItem({"id": 1}, []).dropped
        {}
    """

    image: dict[str, Any]
    annotations: list[dict[str, Any]]
    dropped: dict[str, int] = field(default_factory=dict)


def _attributes(ann: dict[str, Any]) -> dict[str, Any]:
    return {a["name"]: a.get("value") for a in annotation_attrs(ann)}


def _keypoint_instance(
    category: str,
    keypoints: list[dict[str, Any]],
    box: list[float] | None,
    categories: CocoCategories,
    label: str,
) -> dict[str, Any]:
    category_id = categories.category_id(category)
    placed: dict[int, list[float]] = {}
    for kp in keypoints:
        name = annotation_class(kp, label)
        position = categories.keypoint_index(category, name)
        if position in placed:
            raise ItemError(label, f"keypoint {name!r} appears twice in one {category!r} instance")
        x, y = as_point(kp.get("data"), label)
        visibility = _attributes(kp).get("visibility", 2)
        placed[position] = [x, y, 1.0 if visibility == 1 else 2.0]
    vector: list[float] = []
    for position in range(categories.keypoint_count(category_id)):
        vector += placed.get(position, [0.0, 0.0, 0.0])
    bbox = box if box is not None else points_bbox([p[:2] for p in placed.values()])
    return {
        "category_id": category_id,
        "bbox": bbox,
        "area": bbox[2] * bbox[3],
        "segmentation": [],
        "keypoints": vector,
        "num_keypoints": len(placed),
    }


def _polygon_entry(ann: dict[str, Any], categories: CocoCategories, label: str) -> dict[str, Any]:
    points = as_points(ann.get("data"), label)
    return {
        "category_id": categories.category_id(annotation_class(ann, label)),
        "segmentation": [[c for p in points for c in p]],
        "area": polygon_area(points),
        "bbox": points_bbox(points),
    }


def _mask_entry(ann: dict[str, Any], width: int, height: int, categories: CocoCategories, label: str) -> dict[str, Any]:
    pixels = ann.get("data")
    if not isinstance(pixels, list) or not all(isinstance(p, int) and not isinstance(p, bool) for p in pixels):
        raise ItemError(label, "segmentation data must be a list of pixel indices")
    if not pixels:
        raise ItemError(label, f"segmentation {ann.get('id', '?')!r} has no pixels")
    try:
        rle = pixels_to_rle(pixels, width, height)
    except ValueError as exc:
        raise ItemError(label, str(exc)) from exc
    xs = [p % width for p in pixels]
    ys = [p // width for p in pixels]
    return {
        "category_id": categories.category_id(annotation_class(ann, label)),
        "segmentation": rle,
        "area": float(len(set(pixels))),
        "bbox": [float(min(xs)), float(min(ys)), float(max(xs) - min(xs) + 1), float(max(ys) - min(ys) + 1)],
    }


def dm_to_coco_item(
    data: dict[str, Any],
    *,
    file_name: str,
    width: int,
    height: int,
    image_id: int,
    categories: CocoCategories,
    first_annotation_id: int = 1,
) -> CocoItem:
    """Convert one DM v2 item to a COCO image entry and its annotations.

    Export plugins call this item by item;
    [`convert_dm_to_coco`][synapse_plugins.converters.coco.convert_dm_to_coco] uses it for whole folders.

    Args:
        data: The DM v2 item.
        file_name: The image's file name in the COCO dataset.
        width: Image width in pixels.
        height: Image height in pixels.
        image_id: The COCO image id.
        categories: Categories shared by all items of the dataset (grows unless fixed).
        first_annotation_id: The id of the first annotation; the others follow.

    Returns:
        The converted item.

    Raises:
        ItemError: An annotation is malformed or its class is not allowed.

    Example:
        >>> cats = CocoCategories()
        >>> data = {"images": [{"polygon": [{"classification": "roof", "data": [[0, 0], [4, 0], [4, 3]]}]}]}
        >>> item = dm_to_coco_item(data, file_name="a.jpg", width=8, height=8, image_id=7, categories=cats)
        >>> ann = item.annotations[0]
        >>> ann["segmentation"], ann["bbox"], ann["area"], ann["image_id"]
        ([[0.0, 0.0, 4.0, 0.0, 4.0, 3.0]], [0.0, 0.0, 4.0, 3.0], 6.0, 7)
    """
    label = file_name
    tools = image_annotations(data, label)
    out: list[dict[str, Any]] = []
    dropped: dict[str, int] = {}

    def emit(entry: dict[str, Any], ann: dict[str, Any] | None) -> None:
        entry.update(image_id=image_id, id=first_annotation_id + len(out), iscrowd=0)
        attributes = _attributes(ann) if ann is not None else {}
        if attributes:
            entry["attributes"] = attributes
        out.append(entry)

    groups = keypoint_groups(tools)
    consumed: set[int] = set()  # annotations that travel inside a keypoint instance
    for group in groups:
        consumed.update(id(a) for a in group.keypoints)
        if len(group.boxes) == 1:
            consumed.add(id(group.boxes[0]))
    for ann in tools.get("bounding_box", []):
        if id(ann) not in consumed:
            x, y, w, h = as_box(ann.get("data"), label)
            emit({"category_id": categories.category_id(annotation_class(ann, label)), "bbox": [x, y, w, h],
                  "area": w * h, "segmentation": []}, ann)  # fmt: skip
    for ann in tools.get("polygon", []):
        emit(_polygon_entry(ann, categories, label), ann)
    for ann in tools.get("segmentation", []):
        emit(_mask_entry(ann, width, height, categories, label), ann)
    for group in groups:
        box = as_box(group.boxes[0].get("data"), label) if len(group.boxes) == 1 else None
        category = annotation_class(group.group, label)
        emit(_keypoint_instance(category, group.keypoints, box, categories, label), group.group)
    loose = [a for a in tools.get("keypoint", []) if id(a) not in consumed]
    if loose:
        emit(_keypoint_instance(DEFAULT_KEYPOINT_CATEGORY, loose, None, categories, label), None)
    for tool, anns in tools.items():
        count = len(anns) - len(groups) if tool == "group" else len(anns)
        if tool not in ("bounding_box", "polygon", "segmentation", "keypoint") and count:
            dropped[tool] = count
    image = {"id": image_id, "file_name": file_name, "width": width, "height": height}
    return CocoItem(image, out, dropped)


def coco_item_to_dm(
    image: dict[str, Any],
    annotations: Iterable[dict[str, Any]],
    categories: dict[Any, dict[str, Any]],
    existing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Convert one COCO image's annotations to a DM v2 item.

    Args:
        image: The COCO ``images`` entry (``width`` and ``height`` are used for RLE masks).
        annotations: The COCO annotations of that image.
        categories: COCO categories by id.
        existing: A DM item to add to (when one image appears in several annotation files).

    Returns:
        The DM v2 item.

    Raises:
        ItemError: An annotation is malformed or names an unknown category.

    Example:
        >>> cats = {3: {"id": 3, "name": "cat"}}
        >>> anns = [{"category_id": 3, "bbox": [1, 2, 3, 4], "segmentation": [], "attributes": {"occluded": True}}]
        >>> dm = coco_item_to_dm({"id": 1, "file_name": "a.jpg"}, anns, cats)
        >>> dm["images"][0]["bounding_box"][0]["data"], dm["images"][0]["bounding_box"][0]["attrs"]
        ([1, 2, 3, 4], [{'name': 'occluded', 'value': True}])
    """
    label = str(image.get("file_name", image.get("id")))
    builder = DMItemBuilder(existing)
    for ann in annotations:
        category = categories.get(ann.get("category_id"))
        if category is None:
            raise ItemError(label, f"annotation {ann.get('id')} names unknown category {ann.get('category_id')!r}")
        name = str(category.get("name"))
        raw_attributes = ann.get("attributes")
        attrs = [{"name": k, "value": v} for k, v in raw_attributes.items()] if isinstance(raw_attributes, dict) else []
        segmentation = ann.get("segmentation")
        raw_keypoints = ann.get("keypoints")
        keypoints: list[Any] = raw_keypoints if isinstance(raw_keypoints, list) else []
        has_keypoints = any(keypoints[2::3])
        if has_keypoints:
            names = category.get("keypoints") or []
            members: list[str] = []
            bbox = ann.get("bbox")
            if isinstance(bbox, list) and len(bbox) == 4:
                as_box(bbox, label)
                members.append(builder.add("bounding_box", name, bbox, []))
            for position in range(len(keypoints) // 3):
                x, y, visibility = keypoints[3 * position : 3 * position + 3]
                if not visibility:
                    continue
                kp_name = str(names[position]) if position < len(names) else f"keypoint_{position}"
                kp_attrs = [{"name": "visibility", "value": 1}] if visibility == 1 else []
                members.append(builder.add("keypoint", kp_name, [x, y], kp_attrs))
            builder.add("group", name, members, attrs)
        if isinstance(segmentation, dict):  # a keypoint instance's mask or polygon is kept beside its group
            try:
                pixels = rle_to_pixels(segmentation)
            except ValueError as exc:
                raise ItemError(label, f"annotation {ann.get('id')}: {exc}") from exc
            builder.add("segmentation", name, pixels, attrs)
        elif isinstance(segmentation, list) and segmentation:
            for ring in segmentation:
                if not isinstance(ring, list) or len(ring) < 6 or len(ring) % 2:
                    raise ItemError(label, f"annotation {ann.get('id')}: polygon needs an even count >= 6 numbers")
                points = [[ring[i], ring[i + 1]] for i in range(0, len(ring), 2)]
                as_points(points, label)
                builder.add("polygon", name, points, attrs)
        elif not has_keypoints:
            bbox = ann.get("bbox")
            as_box(bbox, label)
            builder.add("bounding_box", name, bbox, attrs)
    return builder.build()


# --- folder conversion: DM -> COCO ------------------------------------------------------------------------------


# One encoder for every record: json.dumps with options builds a new encoder per call, which dominated the spooling.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def _spool(directory: Path) -> IO[str]:
    return tempfile.TemporaryFile("w+", encoding="utf-8", dir=directory, prefix=".coco-spool.")


def convert_dm_to_coco(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    classes: Iterable[str] | None = None,
    image_mode: ImageMode = "copy",
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    """Convert a DM dataset folder to COCO, streaming: one item in memory at a time.

    Images and annotations go to spool files on disk while the items are walked; each split's
    ``annotations/instances_<split>.json`` is then assembled from them with the final category list, so every split
    file has the same categories and ids.

    Args:
        source: The DM dataset folder.
        target: The COCO dataset folder to create (must be empty or missing).
        classes: Category names in id order; without it, categories get ids in the order they are first met.
        image_mode: How images are placed: ``copy``, ``link``, ``symlink`` or ``none``.
        strict: Stop at the first bad item instead of reporting it and going on.
        progress: Called with the number of items handled so far.

    Returns:
        What was converted, what failed and why, what COCO could not hold, and the category names.

    Raises:
        LayoutError: ``source`` is not a DM dataset.
        ConversionError: ``target`` is not empty, or ``classes`` has duplicates.
        ItemError: In strict mode, the first bad item.

    Example:
        >>> import json, pathlib, tempfile
        >>> from synapse_plugins.converters.testing import make_dm_dataset
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> make_dm_dataset(root / "dm", {"train": {"a": [("bounding_box", "cat", [1, 1, 2, 2])]}})
        >>> report = convert_dm_to_coco(root / "dm", root / "coco")
        >>> report.converted, report.classes
        (1, ['cat'])
        >>> json.loads((root / "coco/annotations/instances_train.json").read_text())["annotations"][0]["bbox"]
        [1.0, 1.0, 2.0, 2.0]
    """
    source, target = Path(source), Path(target)
    items = iter_dm_items(source)
    refuse_nonempty_target(target)
    report = ConversionReport()
    runner = ItemRunner(report, strict=strict, progress=progress)
    categories = CocoCategories(classes)
    spools: dict[str, tuple[IO[str], IO[str]]] = {}
    names_seen: dict[str, set[str]] = {}
    image_id = 0
    annotation_id = 1
    writer = BackgroundWriter()
    try:
        for item in items:
            with runner.item(item.label):
                data = read_dm_item(item)
                if item.image_path is None:
                    raise ItemError(item.label, f"no image named {item.name}.* in original_files")
                split = split_to_external(item.split)
                file_name = item.image_path.name
                if file_name in names_seen.setdefault(split, set()):
                    raise ItemError(item.label, f"two items share the image name {file_name!r}")
                width, height = read_image_size(item.image_path)
                converted = dm_to_coco_item(
                    data, file_name=file_name, width=width, height=height, image_id=image_id + 1,
                    categories=categories, first_annotation_id=annotation_id,
                )  # fmt: skip
                if image_mode != "none":
                    writer.submit(place_image, item.image_path, target / "images" / split / file_name, image_mode)
                if split not in spools:
                    spools[split] = (_spool(target), _spool(target))
                images_spool, annotations_spool = spools[split]
                images_spool.write(_to_json(converted.image) + "\n")
                if converted.annotations:
                    annotations_spool.write("\n".join(map(_to_json, converted.annotations)) + "\n")
                names_seen[split].add(file_name)
                image_id += 1
                annotation_id += len(converted.annotations)
                for tool, count in converted.dropped.items():
                    report.drop(tool, count)
        writer.close()
        (target / "annotations").mkdir(exist_ok=True)
        for split, (images_spool, annotations_spool) in spools.items():
            _assemble(target / "annotations" / f"instances_{split}.json", images_spool, annotations_spool, categories)
    finally:
        with contextlib.suppress(ConversionError):  # a failure is already on its way out; do not mask it
            writer.close()
        for pair in spools.values():
            for spool in pair:
                spool.close()
    report.classes = categories.index.names
    return report


def _assemble(path: Path, images: IO[str], annotations: IO[str], categories: CocoCategories) -> None:
    head = {"info": {"description": "Converted from DM by synapse-plugins"}, "licenses": []}
    with atomic_write(path) as out:
        out.write(json.dumps(head, ensure_ascii=False)[:-1].encode("utf-8"))
        out.write(b', "categories": ' + json.dumps(categories.to_coco(), ensure_ascii=False).encode("utf-8"))
        for key, spool, pad in ((b"images", images, False), (b"annotations", annotations, True)):
            out.write(b', "' + key + b'": [')
            spool.seek(0)
            for n, line in enumerate(spool):
                text = line.rstrip("\n")
                if pad and '"keypoints"' in text:  # the category may have gained keypoint names since
                    ann = json.loads(text)
                    missing = 3 * categories.keypoint_count(ann["category_id"]) - len(ann["keypoints"])
                    ann["keypoints"] += [0.0] * missing
                    text = json.dumps(ann, ensure_ascii=False)
                out.write((b", " if n else b"") + text.encode("utf-8"))
            out.write(b"]")
        out.write(b"}")


# --- folder conversion: COCO -> DM ------------------------------------------------------------------------------


def _coco_sources(source: Path) -> list[tuple[Path, Path, str]]:
    """Find (annotation file, image folder, external split) triples in a COCO layout."""
    if source.is_file():
        images = source.parent.parent / "images" if source.parent.name == "annotations" else source.parent
        return [(source, images if images.is_dir() else source.parent, "default")]
    found: list[tuple[Path, Path, str]] = []
    annotations_dir = source / "annotations"
    if annotations_dir.is_dir():
        for path in sorted(annotations_dir.glob("*.json")):
            split = path.stem.rsplit("_", 1)[1] if "_" in path.stem else "default"
            images = source / "images" / split
            found.append((path, images if images.is_dir() else source / "images", split))
    for path in sorted(source.glob("*/_annotations.coco.json")):
        found.append((path, path.parent, path.parent.name))
    if not found:
        raise LayoutError(str(source), "no COCO annotation file (annotations/*.json or <split>/_annotations.coco.json)")
    return found


def _load_coco(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as file:
            content = json.load(file)
    except OSError as exc:
        raise ItemError(path.name, f"cannot read: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ItemError(path.name, f"not valid JSON: {exc}") from exc
    if not isinstance(content, dict) or not isinstance(content.get("images"), list):
        raise ItemError(path.name, "not a COCO file: no 'images' list")
    return content


def convert_coco_to_dm(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    image_mode: ImageMode = "copy",
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    """Convert a COCO dataset (folder or single JSON file) to a DM dataset folder.

    Each COCO JSON file is loaded whole (the format is one JSON document); DM items are written one at a time.
    Images that appear in several annotation files of a split (``instances`` and ``person_keypoints``) are merged
    into one DM item.

    Args:
        source: A COCO folder (``annotations/*.json`` or Roboflow ``<split>/_annotations.coco.json``) or one JSON file.
        target: The DM dataset folder to create (must be empty or missing).
        image_mode: How images are placed: ``copy``, ``link``, ``symlink`` or ``none``.
        strict: Stop at the first bad item instead of reporting it and going on.
        progress: Called with the number of images handled so far.

    Returns:
        What was converted and what failed and why; ``classes`` lists the category names in id order.

    Raises:
        LayoutError: No COCO annotation file was found.
        ConversionError: ``target`` is not empty.
        ItemError: In strict mode, the first bad image or annotation file.

    Example:
        >>> import json, pathlib, tempfile
        >>> from synapse_plugins.converters.testing import make_dm_dataset
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> make_dm_dataset(root / "dm", {"train": {"a": [("bounding_box", "cat", [1, 1, 2, 2])]}})
        >>> _ = convert_dm_to_coco(root / "dm", root / "coco")
        >>> convert_coco_to_dm(root / "coco", root / "back").converted
        1
        >>> sorted(p.name for p in (root / "back" / "train").iterdir())
        ['json', 'original_files']
    """
    source, target = Path(source), Path(target)
    sources = _coco_sources(source)
    refuse_nonempty_target(target)
    report = ConversionReport()
    runner = ItemRunner(report, strict=strict, progress=progress)
    for path, images_dir, external_split in sources:
        split = split_from_external(external_split)
        file_label = path.relative_to(source).as_posix() if source.is_dir() else path.name
        try:
            content = _load_coco(path)
        except ItemError as exc:
            if strict:
                raise
            report.add_failure(file_label, exc.reason)
            continue
        categories = {c.get("id"): c for c in content.get("categories") or [] if isinstance(c, dict)}
        for category in categories.values():
            if str(category.get("name")) not in report.classes:
                report.classes.append(str(category.get("name")))
        by_image: dict[Any, list[dict[str, Any]]] = {}
        for ann in content.get("annotations") or []:
            if isinstance(ann, dict):
                by_image.setdefault(ann.get("image_id"), []).append(ann)
        for image in content["images"]:
            name = str(image.get("file_name", "")) if isinstance(image, dict) else ""
            with runner.item(f"{file_label}#{name or '?'}"):
                if not isinstance(image, dict) or not name:
                    raise ItemError(name or "?", "image entry without file_name")
                image_path = safe_member(images_dir, name)
                if not image_path.is_file():
                    raise ItemError(name, "image file not found")
                stem = Path(name).stem
                json_path = (target / split if split else target) / "json" / f"{stem}.json"
                existing = json.loads(json_path.read_text(encoding="utf-8")) if json_path.is_file() else None
                data = coco_item_to_dm(image, by_image.get(image.get("id"), []), categories, existing)
                write_dm_item(
                    target, split, name=stem, data=data, image=None if existing else image_path, image_mode=image_mode
                )
    return report
