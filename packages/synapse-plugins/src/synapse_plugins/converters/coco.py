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

import functools
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from synapse_fileutils.atomic import atomic_write

from .classes import ClassIndex
from .dm import (
    DMItemBuilder,
    KeypointGroup,
    annotation_attrs,
    annotation_class,
    image_annotations,
    keypoint_groups,
    refuse_nonempty_target,
    split_from_external,
    split_to_external,
)
from .dmfolder import DmWriter, NameRegistry, read_dm
from .errors import ItemError, LayoutError
from .files import ImageMode, StagedOutput, safe_member
from .geometry import as_box, as_point, as_points, points_bbox, polygon_area
from .records import DMRecord, PendingItem, fail_item, run_pipeline
from .report import ConversionReport, ProgressCallback
from .rle import pixels_to_rle, rle_to_pixels

__all__ = [
    "CocoCategories",
    "CocoItem",
    "CocoWriter",
    "coco_item_to_dm",
    "convert_coco_to_dm",
    "convert_dm_to_coco",
    "dm_to_coco_item",
    "read_coco",
]

#: Category of keypoints that belong to no group.
DEFAULT_KEYPOINT_CATEGORY = "keypoints"

#: Most keypoints a category may have (COCO's person has 17; this bounds what a declared shape may allocate).
MAX_KEYPOINTS = 1000

#: Largest image (pixels) whose RLE masks are decoded: 16384 x 16384.
MAX_MASK_PIXELS = 1 << 28

# DM attributes that carry COCO fields rather than COCO ``attributes``.
_ISCROWD = "iscrowd"
_KEYPOINT_NAMES = "keypoint_names"
_SKELETON = "skeleton"
_RESERVED_ATTRS = frozenset((_ISCROWD, _KEYPOINT_NAMES, _SKELETON))


def _skeleton(value: Any, count: int, label: str) -> list[list[int]]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_KEYPOINTS * MAX_KEYPOINTS:
        raise ItemError(label, "skeleton must be a list of [a, b] keypoint positions")
    edges = []
    for edge in value:
        if (
            not isinstance(edge, list)
            or len(edge) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= count for v in edge)
        ):
            raise ItemError(label, f"skeleton edge {str(edge)[:40]} is not two 1-based positions of {count} keypoints")
        edges.append(list(edge))
    return edges


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
        self._skeletons: dict[str, list[list[int]]] = {}

    def declare_keypoints(self, category: str, names: Any, skeleton: Any = None, label: str = "item") -> None:
        """Fix the keypoint names (in order) and skeleton of a category, as a COCO file or a DM group states them.

        The first declaration of a category wins; names met later that it lacks are appended, so earlier
        keypoint vectors stay valid.

        Args:
            category: The category name.
            names: Its keypoint names in order.
            skeleton: Its ``[[a, b], ...]`` edges (1-based keypoint positions), or ``None``.
            label: Names the item in errors.

        Raises:
            ItemError: ``names`` is not a list of distinct non-empty strings, or ``skeleton`` is not a list of pairs of
                positions of those names.

        Example:
            >>> c = CocoCategories(["p"])
            >>> c.declare_keypoints("p", ["b", "a"], [[1, 2]])
            >>> c.keypoint_index("p", "a"), c.to_coco()[0]["skeleton"]
            (1, [[1, 2]])
        """
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise ItemError(label, f"keypoint names of {category!r} must be a list of non-empty strings")
        if len(set(names)) != len(names) or len(names) > MAX_KEYPOINTS:
            raise ItemError(label, f"keypoint names of {category!r} must be distinct and at most {MAX_KEYPOINTS}")
        edges = _skeleton(skeleton, len(names), label)
        if category not in self._keypoints:
            self._keypoints[category] = list(names)
            self._skeletons[category] = edges
            return
        for name in names:
            self.keypoint_index(category, name)
        if not self._skeletons.get(category):
            self._skeletons[category] = edges

    def keypoint_names(self, category: str) -> list[str]:
        """Return the keypoint names of a category in order (empty when it has none).

        Args:
            category: The category name.

        Returns:
            A copy of the list.

        Example:
            >>> CocoCategories().keypoint_names("p")
            []
        """
        return list(self._keypoints.get(category, []))

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
            if len(names) >= MAX_KEYPOINTS:
                raise ItemError(category, f"more than {MAX_KEYPOINTS} keypoint names")
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
                entry["skeleton"] = [list(edge) for edge in self._skeletons.get(name, [])]
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


def _coco_attributes(ann: dict[str, Any] | None) -> tuple[dict[str, Any], int]:
    """The COCO ``attributes`` of a DM annotation and its ``iscrowd`` flag."""
    if ann is None:
        return {}, 0
    attributes = _attributes(ann)
    crowd = 1 if attributes.get(_ISCROWD) in (True, 1) else 0
    return {k: v for k, v in attributes.items() if k not in _RESERVED_ATTRS}, crowd


def _keypoint_instance(
    category: str,
    keypoints: list[dict[str, Any]],
    box: list[float] | None,
    categories: CocoCategories,
    label: str,
    *,
    outline: dict[str, Any] | None = None,
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
    bbox = box if box is not None else (outline or {}).get("bbox")
    if bbox is None:
        bbox = points_bbox([p[:2] for p in placed.values()])
    return {
        "category_id": category_id,
        "bbox": bbox,
        "area": outline["area"] if outline else bbox[2] * bbox[3],
        "segmentation": outline["segmentation"] if outline else [],
        "keypoints": vector,
        "num_keypoints": len(placed),
    }


def _outline(
    shapes: list[tuple[str, dict[str, Any]]], width: int, height: int, categories: CocoCategories, label: str
) -> dict[str, Any] | None:
    """The one COCO segmentation of a keypoint instance's polygons (rings) or mask."""
    if not shapes:
        return None
    if len(shapes) == 1 and shapes[0][0] == "segmentation":
        return _mask_entry(shapes[0][1], width, height, categories, label)
    if any(tool != "polygon" for tool, _ in shapes):
        raise ItemError(label, "a keypoint instance holds either polygons or one mask as its outline, not both")
    rings = [_polygon_entry(ann, categories, label) for _, ann in shapes]
    points = [[ring["bbox"][0], ring["bbox"][1]] for ring in rings]
    points += [[ring["bbox"][0] + ring["bbox"][2], ring["bbox"][1] + ring["bbox"][3]] for ring in rings]
    return {
        "segmentation": [ring["segmentation"][0] for ring in rings],
        "area": sum(ring["area"] for ring in rings),
        "bbox": points_bbox(points),
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
        attributes, crowd = _coco_attributes(ann)
        entry.update(image_id=image_id, id=first_annotation_id + len(out), iscrowd=crowd)
        if attributes:
            entry["attributes"] = attributes
        out.append(entry)

    groups = keypoint_groups(tools)
    consumed = _consumed_by(groups)  # annotations that travel inside a keypoint instance
    for ann in tools.get("bounding_box", []):
        if id(ann) not in consumed:
            x, y, w, h = as_box(ann.get("data"), label)
            emit({"category_id": categories.category_id(annotation_class(ann, label)), "bbox": [x, y, w, h],
                  "area": w * h, "segmentation": []}, ann)  # fmt: skip
    for ann in tools.get("polygon", []):
        if id(ann) not in consumed:
            emit(_polygon_entry(ann, categories, label), ann)
    for ann in tools.get("segmentation", []):
        if id(ann) not in consumed:
            emit(_mask_entry(ann, width, height, categories, label), ann)
    for group in groups:
        emit(_group_instance(group, width, height, categories, label), group.group)
    loose = [a for a in tools.get("keypoint", []) if id(a) not in consumed]
    if loose:
        emit(_keypoint_instance(DEFAULT_KEYPOINT_CATEGORY, loose, None, categories, label), None)
    for tool, anns in tools.items():
        count = len(anns) - len(groups) if tool == "group" else len(anns)
        if tool not in ("bounding_box", "polygon", "segmentation", "keypoint") and count:
            dropped[tool] = count
    image = {"id": image_id, "file_name": file_name, "width": width, "height": height}
    return CocoItem(image, out, dropped)


def _consumed_by(groups: list[KeypointGroup]) -> set[int]:
    consumed: set[int] = set()
    for group in groups:
        consumed.update(id(a) for a in group.keypoints)
        consumed.update(id(a) for _, a in group.shapes)
        if len(group.boxes) == 1:
            consumed.add(id(group.boxes[0]))
    return consumed


def _group_instance(
    group: KeypointGroup, width: int, height: int, categories: CocoCategories, label: str
) -> dict[str, Any]:
    box = as_box(group.boxes[0].get("data"), label) if len(group.boxes) == 1 else None
    category = annotation_class(group.group, label)
    declared = _attributes(group.group)
    if _KEYPOINT_NAMES in declared:
        categories.declare_keypoints(category, declared[_KEYPOINT_NAMES], declared.get(_SKELETON), label)
    outline = _outline(group.shapes, width, height, categories, label)
    return _keypoint_instance(category, group.keypoints, box, categories, label, outline=outline)


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
    label = str(image.get("file_name", image.get("id")))[:200]
    builder = DMItemBuilder(existing)
    size = _image_size(image, label)
    for ann in annotations:
        _annotation_to_dm(ann, categories, builder, size, label)
    return builder.build()


def _hashable_id(value: Any) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _image_size(image: dict[str, Any], label: str) -> tuple[int, int] | None:
    width, height = image.get("width"), image.get("height")
    if width is None and height is None:
        return None
    if (
        isinstance(width, int)
        and isinstance(height, int)
        and not isinstance(width, bool)
        and not isinstance(height, bool)
        and 0 < width <= 1 << 20
        and 0 < height <= 1 << 20
    ):
        return width, height
    raise ItemError(label, f"image size {str(width)[:20]}x{str(height)[:20]} is not two positive integers")


def _mask_pixels(segmentation: dict[str, Any], size: tuple[int, int] | None, label: str, ann_id: Any) -> list[int]:
    rle_size = segmentation.get("size")
    if size is not None and rle_size != [size[1], size[0]]:
        raise ItemError(
            label, f"annotation {ann_id}: RLE size {str(rle_size)[:40]} is not the image's {size[1]}x{size[0]}"
        )
    if (
        not isinstance(rle_size, list)
        or len(rle_size) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in rle_size)
        or rle_size[0] * rle_size[1] > MAX_MASK_PIXELS
    ):
        raise ItemError(
            label, f"annotation {ann_id}: RLE size must be [height, width] of at most {MAX_MASK_PIXELS} pixels"
        )
    try:
        return rle_to_pixels(segmentation)
    except ValueError as exc:
        raise ItemError(label, f"annotation {ann_id}: {exc}") from exc


def _keypoints_to_dm(  # noqa: PLR0917 - the parts _annotation_to_dm has already taken apart
    ann: dict[str, Any],
    category: dict[str, Any],
    keypoints: list[Any],
    shapes: list[str],
    attrs: list[dict[str, Any]],
    builder: DMItemBuilder,
    label: str,
) -> None:
    """Add a keypoint instance as a group of its box, outline and labeled keypoints."""
    ann_id = str(ann.get("id"))[:40]
    name = str(category.get("name"))
    if len(keypoints) % 3:
        raise ItemError(label, f"annotation {ann_id}: keypoints need x, y, v triples")
    names = category.get("keypoints")
    names = [str(n) for n in names] if isinstance(names, list) else []
    members: list[str] = []
    bbox = ann.get("bbox")
    if isinstance(bbox, list) and len(bbox) == 4:
        as_box(bbox, label)
        members.append(builder.add("bounding_box", name, bbox, []))
    members += shapes
    for position in range(len(keypoints) // 3):
        x, y, visibility = keypoints[3 * position : 3 * position + 3]
        if not visibility:
            continue
        kp_name = names[position] if position < len(names) else f"keypoint_{position}"
        kp_attrs = [{"name": "visibility", "value": 1}] if visibility == 1 else []
        as_point([x, y], label)
        members.append(builder.add("keypoint", kp_name, [x, y], kp_attrs))
    group_attrs = list(attrs)
    if names:
        group_attrs.append({"name": _KEYPOINT_NAMES, "value": names})
        skeleton = category.get("skeleton")
        if skeleton:
            group_attrs.append({"name": _SKELETON, "value": _skeleton(skeleton, len(names), label)})
    builder.add("group", name, members, group_attrs)


def _annotation_to_dm(
    ann: Any, categories: dict[Any, dict[str, Any]], builder: DMItemBuilder, size: tuple[int, int] | None, label: str
) -> None:
    if not isinstance(ann, dict):
        raise ItemError(label, "an annotation is not an object")
    ann_id = str(ann.get("id"))[:40]
    category_id = ann.get("category_id")
    category = categories.get(category_id) if _hashable_id(category_id) else None
    if category is None:
        raise ItemError(label, f"annotation {ann_id} names unknown category {str(category_id)[:40]}")
    name = str(category.get("name"))
    raw_attributes = ann.get("attributes")
    attrs = [{"name": k, "value": v} for k, v in raw_attributes.items()] if isinstance(raw_attributes, dict) else []
    attrs = [a for a in attrs if a["name"] not in _RESERVED_ATTRS]
    if ann.get("iscrowd") in (1, True):
        attrs.append({"name": _ISCROWD, "value": True})
    segmentation = ann.get("segmentation")
    raw_keypoints = ann.get("keypoints")
    keypoints: list[Any] = raw_keypoints if isinstance(raw_keypoints, list) else []
    has_keypoints = any(keypoints[2::3])
    shapes: list[str] = []  # the annotation's outline: one mask, or one polygon per ring
    if isinstance(segmentation, dict):
        pixels = _mask_pixels(segmentation, size, label, ann_id)
        shapes.append(builder.add("segmentation", name, pixels, [] if has_keypoints else attrs))
    elif isinstance(segmentation, list) and segmentation:
        for ring in segmentation:
            if not isinstance(ring, list) or len(ring) < 6 or len(ring) % 2:
                raise ItemError(label, f"annotation {ann_id}: polygon needs an even count >= 6 numbers")
            points = [[ring[i], ring[i + 1]] for i in range(0, len(ring), 2)]
            as_points(points, label)
            shapes.append(builder.add("polygon", name, points, [] if has_keypoints else attrs))
    if has_keypoints:
        _keypoints_to_dm(ann, category, keypoints, shapes, attrs, builder, label)
    elif not shapes:
        bbox = ann.get("bbox")
        as_box(bbox, label)
        builder.add("bounding_box", name, bbox, attrs)


# --- folder conversion: DM records -> COCO -----------------------------------------------------------------------


# One encoder for every record: json.dumps with options builds a new encoder per call, which dominated the spooling.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def _spool(directory: Path) -> IO[str]:
    return tempfile.TemporaryFile("w+", encoding="utf-8", dir=directory, prefix=".coco-spool.")


class CocoWriter:
    """Write DM records as a COCO dataset: ``annotations/instances_<split>.json`` and ``images/<split>/``.

    Images and annotations go to spool files while the records come; each split's JSON file is then assembled with
    the final category list, so every split file has the same categories and ids. An item's ``file_name`` is its
    name plus the image's suffix (``a/x.png``), so folders in the name are kept.

    Args:
        target: The folder to create (must be empty or missing).
        image_mode: How images are placed.
        classes: Category names in id order; without it, ids follow the order classes are first met.

    Raises:
        ConversionError: ``target`` is not empty, or ``classes`` has duplicates.

    Example:
        >>> import pathlib, tempfile
        >>> CocoWriter(pathlib.Path(tempfile.mkdtemp()) / "new", "none").categories.to_coco()
        []
    """

    def __init__(self, target: Path, image_mode: ImageMode, classes: Iterable[str] | None = None) -> None:
        self.categories = CocoCategories(classes)
        refuse_nonempty_target(target)
        self._out = StagedOutput(target)
        self.target = self._out.root
        self.image_mode = image_mode
        self._spools: dict[str, tuple[IO[str], IO[str]]] = {}
        self._names = NameRegistry()
        self._image_id = 0
        self._annotation_id = 1

    def add(self, record: DMRecord, report: ConversionReport) -> None:
        """Convert one record and spool its image and annotations.

        Args:
            record: The item.
            report: Counts what COCO cannot hold.

        Raises:
            ItemError: The item is malformed, its class is not allowed, or its file name is taken.
        """
        split = split_to_external(record.split)
        file_name = record.name + (record.image.suffix if record.image is not None else "")
        image_target = safe_member(self.target / "images" / split, file_name)
        width, height = record.image_size()
        converted = dm_to_coco_item(
            record.data, file_name=file_name, width=width, height=height, image_id=self._image_id + 1,
            categories=self.categories, first_annotation_id=self._annotation_id,
        )  # fmt: skip
        self._names.claim(split, file_name, f"images/{split}/{file_name}")
        if record.image is not None:
            self._out.place(record.image, image_target, self.image_mode)
        if split not in self._spools:
            self._spools[split] = (_spool(self.target), _spool(self.target))
        images_spool, annotations_spool = self._spools[split]
        images_spool.write(_to_json(converted.image) + "\n")
        if converted.annotations:
            annotations_spool.write("\n".join(map(_to_json, converted.annotations)) + "\n")
        self._image_id += 1
        self._annotation_id += len(converted.annotations)
        report.merge_counts(converted.dropped, {})

    def close(self, report: ConversionReport) -> None:
        """Flush the images, assemble each split's JSON file and set the report's classes.

        Args:
            report: Gets the category names.
        """
        (self.target / "annotations").mkdir(exist_ok=True)
        for split, (images_spool, annotations_spool) in self._spools.items():
            path = self.target / "annotations" / f"instances_{split}.json"
            _assemble(path, images_spool, annotations_spool, self.categories)
        self._close_spools()
        self._out.commit()
        report.classes = self.categories.index.names

    def abort(self) -> None:
        """Drop the spools and everything written; the target stays empty."""
        self._close_spools()
        self._out.discard()

    def _close_spools(self) -> None:
        for pair in self._spools.values():
            for spool in pair:
                spool.close()
        self._spools.clear()


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
    items = read_dm(source)
    writer = CocoWriter(Path(target), image_mode, classes)
    return run_pipeline(items, writer, ConversionReport(), strict=strict, progress=progress)


def _assemble(path: Path, images: IO[str], annotations: IO[str], categories: CocoCategories) -> None:
    head = {"info": {"description": "Converted by synapse-plugins"}, "licenses": []}
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


# --- folder conversion: COCO -> DM records -----------------------------------------------------------------------


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
            split_from_external(split)  # a split named "..": refused before anything is written
            images = source / "images" / split
            found.append((path, images if images.is_dir() else source / "images", split))
    for path in sorted(source.glob("*/_annotations.coco.json")):
        split_from_external(path.parent.name)
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
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, nesting too deep
        raise ItemError(path.name, f"not valid JSON: {str(exc)[:200]}") from exc
    if not isinstance(content, dict) or not isinstance(content.get("images"), list):
        raise ItemError(path.name, "not a COCO file: no 'images' list")
    if not isinstance(content.get("annotations", []), list):
        raise ItemError(path.name, "'annotations' must be a list")
    return content


def _coco_categories(content: dict[str, Any], label: str) -> dict[Any, dict[str, Any]]:
    raw = content.get("categories") or []
    if not isinstance(raw, list):
        raise ItemError(label, "'categories' must be a list")
    categories: dict[Any, dict[str, Any]] = {}
    for category in raw:
        if not isinstance(category, dict) or not _hashable_id(category.get("id")):
            raise ItemError(label, f"category {str(category)[:60]} has no integer or string id")
        if category["id"] in categories:
            raise ItemError(label, f"category id {category['id']!r} appears twice (would relabel one class as another)")
        if not isinstance(category.get("name"), str) or not category["name"]:
            raise ItemError(label, f"category {category['id']!r} has no name")
        categories[category["id"]] = category
    return categories


@dataclass
class _CocoPart:
    """One image entry of one annotation file, with its annotations and that file's categories."""

    image: dict[str, Any]
    annotations: list[dict[str, Any]]
    categories: dict[Any, dict[str, Any]]
    images_dir: Path
    file_label: str


def read_coco(source: str | os.PathLike[str], report: ConversionReport) -> Iterator[PendingItem]:
    """Yield the images of a COCO dataset (folder or one JSON file) as pending DM records.

    Each COCO JSON file is loaded whole (the format is one JSON document). An image that appears in several
    annotation files of a split (``instances`` and ``person_keypoints``) is one item. An annotation whose
    ``image_id`` names no image, an image id used twice and a file with two categories of one id are report entries,
    never silently dropped. An item's name is its ``file_name`` without the suffix, folders included.

    Args:
        source: A COCO folder (``annotations/*.json`` or Roboflow ``<split>/_annotations.coco.json``) or one JSON file.
        report: Gets the category names in ``classes``.

    Returns:
        The pending items, split by split.

    Raises:
        LayoutError: No COCO annotation file was found, or a split name would leave the target.

    Example:
        >>> import pathlib, tempfile
        >>> read_coco(pathlib.Path(tempfile.mkdtemp()), ConversionReport())
        Traceback (most recent call last):
        ...
        synapse_plugins.converters.errors.LayoutError: ...: no COCO annotation file (annotations/*.json or ...)
    """
    source = Path(source)
    sources = _coco_sources(source)
    splits: dict[str, list[tuple[Path, Path]]] = {}
    for path, images_dir, external in sources:
        splits.setdefault(external, []).append((path, images_dir))
    return _read_coco_splits(source, splits, report)


def _read_coco_splits(
    source: Path, splits: dict[str, list[tuple[Path, Path]]], report: ConversionReport
) -> Iterator[PendingItem]:
    for external, files in splits.items():
        split = split_from_external(external)
        entries: dict[str, list[_CocoPart]] = {}
        problems: list[PendingItem] = []
        for path, images_dir in files:
            file_label = path.relative_to(source).as_posix() if source.is_dir() else path.name
            try:
                content = _load_coco(path)
                categories = _coco_categories(content, file_label)
            except ItemError as exc:
                yield fail_item(file_label, exc.reason)
                continue
            for category in categories.values():
                if category["name"] not in report.classes:
                    report.classes.append(category["name"])
            problems += _index_coco_file(content, categories, images_dir, file_label, entries)
        for name, parts in entries.items():
            yield PendingItem(f"{parts[0].file_label}#{name}", functools.partial(_load_coco_item, split, name, parts))
        yield from problems


def _index_coco_file(
    content: dict[str, Any],
    categories: dict[Any, dict[str, Any]],
    images_dir: Path,
    file_label: str,
    entries: dict[str, list[_CocoPart]],
) -> list[PendingItem]:
    """Add the file's images to ``entries`` by file name; return what it holds that no item can take."""
    problems: list[PendingItem] = []
    by_id: dict[Any, list[dict[str, Any]]] = {}
    for image in content["images"]:
        image_id = image.get("id") if isinstance(image, dict) else None
        name = image.get("file_name") if isinstance(image, dict) else None
        label = f"{file_label}#{name if isinstance(name, str) and name else '?'}"
        if not isinstance(name, str) or not name:
            problems.append(fail_item(label, "image entry without file_name"))
        elif not _hashable_id(image_id):
            problems.append(fail_item(label, f"image id {str(image_id)[:40]} is not an integer or string"))
        elif image_id in by_id:
            problems.append(fail_item(label, f"image id {image_id!r} is used by another image"))
        else:
            by_id[image_id] = []
            parts = entries.setdefault(name.replace("\\", "/"), [])
            parts.append(_CocoPart(image, by_id[image_id], categories, images_dir, file_label))
    for ann in content.get("annotations") or []:
        image_id = ann.get("image_id") if isinstance(ann, dict) else None
        if _hashable_id(image_id) and image_id in by_id:
            by_id[image_id].append(ann)
        else:
            ann_id = str(ann.get("id"))[:40] if isinstance(ann, dict) else "?"
            reason = f"annotation names image id {str(image_id)[:40]}, which no image has"
            problems.append(fail_item(f"{file_label}#annotation {ann_id}", reason))
    return problems


def _load_coco_item(split: str | None, file_name: str, parts: list[_CocoPart]) -> DMRecord:
    image_path = safe_member(parts[0].images_dir, file_name)
    if not image_path.is_file():
        raise ItemError(file_name, "image file not found")
    data: dict[str, Any] | None = None
    for part in parts:
        data = coco_item_to_dm(part.image, part.annotations, part.categories, data)
    size = _image_size(parts[0].image, file_name)
    name = file_name[: -len(image_path.suffix)] if image_path.suffix else file_name
    return DMRecord(split, name, data or DMItemBuilder().build(), image_path, size)


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
    into one DM item; ``a/x.png`` and ``b/x.png`` are two items (``json/a/x.json`` and ``json/b/x.json``).

    Args:
        source: A COCO folder (``annotations/*.json`` or Roboflow ``<split>/_annotations.coco.json``) or one JSON file.
        target: The DM dataset folder to create (must be empty or missing).
        image_mode: How images are placed: ``copy``, ``link``, ``symlink`` or ``none``.
        strict: Stop at the first bad item instead of reporting it and going on.
        progress: Called with the number of images handled so far.

    Returns:
        What was converted and what failed and why (annotations of no image included); ``classes`` lists the
        category names in id order.

    Raises:
        LayoutError: No COCO annotation file was found.
        ConversionError: ``target`` is not empty.
        ItemError: In strict mode, the first bad image, annotation or annotation file.

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
    report = ConversionReport()
    items = read_coco(source, report)
    writer = DmWriter(Path(target), image_mode)
    return run_pipeline(items, writer, report, strict=strict, progress=progress)
