"""DM <-> YOLO (Ultralytics detection, segmentation and pose labels).

One label line per object, coordinates relative to the image size:

- ``bounding_box`` -> ``class cx cy w h``;
- ``polygon`` -> ``class x1 y1 x2 y2 ...`` (segmentation);
- a ``group`` of one bounding box and named keypoints -> ``class cx cy w h x1 y1 v1 ...`` (pose), written only when
  the keypoint names are given, since YOLO needs one fixed keypoint list (``kpt_shape``) for the whole dataset; other
  boxes are then written as pose lines with all keypoints absent.

Boxes and points outside the image are clipped to it (YOLO readers reject coordinates outside 0..1) and counted in
the report; a box entirely outside is dropped. ``polyline``, ``relation`` and ``segmentation`` masks cannot be held.

Layout written (and read)::

    dataset.yaml                 path, train/val/test image folders, names {index: name}, kpt_shape for pose
    data.yaml                    the same content, under the name datumaro looks for
    images/<split>/<name>.<ext>
    labels/<split>/<name>.txt

Also read: Darknet's ``obj.names`` + ``obj_<split>_data/`` (images and labels side by side) and ``obj.names`` or
``classes.txt`` beside ``images/`` and ``labels/``.

Example:
    >>> from synapse_plugins.converters.classes import ClassIndex
    >>> data = {"images": [{"bounding_box": [{"classification": "cat", "data": [10, 20, 30, 40]}]}]}
    >>> dm_to_yolo_lines(data, width=100, height=100, classes=ClassIndex()).lines
    ['0 0.25 0.4 0.3 0.4']
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from .files import BackgroundWriter, ImageMode, place_image, write_text
from .geometry import as_box, as_point, as_points, number_text
from .imagesize import IMAGE_SUFFIXES, read_image_size
from .report import ConversionReport, ProgressCallback

__all__ = ["YoloLines", "convert_dm_to_yolo", "convert_yolo_to_dm", "dm_to_yolo_lines", "yolo_lines_to_dm"]

# Pixels a coordinate may lie outside the image before the clipping is counted in the report.
_ROUNDING_SLACK = 1e-3
_YAML_SPLIT_KEYS = {"train": "train", "val": "val", "test": "test"}


@dataclass
class YoloLines:
    """One image converted to YOLO label lines.

    Attributes:
        lines: The label file's lines, without newlines.
        dropped: Annotations YOLO cannot hold (or that lie entirely outside the image), per DM tool.
        clipped: Boxes and polygons clipped to the image.

    Example:
        >>> YoloLines(["0 0.5 0.5 1 1"]).clipped
        0
    """

    lines: list[str]
    dropped: dict[str, int] = field(default_factory=dict)
    clipped: int = 0


def _clamp(value: float, high: float) -> float:
    return min(max(value, 0.0), high)


def dm_to_yolo_lines(
    data: dict[str, Any],
    *,
    width: int,
    height: int,
    classes: ClassIndex,
    keypoint_names: Sequence[str] | None = None,
    label: str = "item",
) -> YoloLines:
    """Convert one DM v2 item to YOLO label lines.

    Args:
        data: The DM v2 item.
        width: Image width in pixels.
        height: Image height in pixels.
        classes: Class indices shared by the dataset (grows unless fixed).
        keypoint_names: The pose keypoint names in ``kpt_shape`` order; ``None`` writes detection and segmentation
            lines only.
        label: Names the item in errors.

    Returns:
        The lines and what could not be written.

    Raises:
        ItemError: An annotation is malformed or its class is not allowed.

    Example:
        >>> from synapse_plugins.converters.classes import ClassIndex
        >>> data = {"images": [{"polygon": [{"classification": "a", "data": [[0, 0], [50, 0], [50, 120]]}]}]}
        >>> result = dm_to_yolo_lines(data, width=100, height=100, classes=ClassIndex())
        >>> result.lines, result.clipped
        (['0 0 0 0.5 0 0.5 1'], 1)
    """
    tools = image_annotations(data, label)
    result = YoloLines([])
    names = list(keypoint_names) if keypoint_names is not None else None
    consumed: set[int] = set()
    pose_lines: list[str] = []
    for group in keypoint_groups(tools) if names is not None else []:
        if len(group.boxes) != 1:
            continue
        text = _box_text(as_box(group.boxes[0].get("data"), label), width, height, result)
        if text is None:
            result.dropped["group"] = result.dropped.get("group", 0) + 1
        else:
            slots = _pose_slots(group.keypoints, names or [], width=width, height=height, result=result, label=label)
            pose_lines.append(f"{classes.index(annotation_class(group.group, label))} {text} {slots}")
        consumed.update(id(a) for a in (*group.keypoints, group.boxes[0]))
    empty_keypoints = " ".join(["0 0 0"] * len(names or ()))
    for ann in tools.get("bounding_box", []):
        if id(ann) in consumed:
            continue
        class_id = classes.index(annotation_class(ann, label))
        text = _box_text(as_box(ann.get("data"), label), width, height, result)
        if text is None:
            result.dropped["bounding_box"] = result.dropped.get("bounding_box", 0) + 1
        else:
            result.lines.append(f"{class_id} {text} {empty_keypoints}".rstrip())
    for ann in tools.get("polygon", []) if names is None else []:
        points = as_points(ann.get("data"), label)
        class_id = classes.index(annotation_class(ann, label))
        clamped = [[_clamp(x, width), _clamp(y, height)] for x, y in points]
        result.clipped += clamped != points
        coords = " ".join(f"{number_text(x / width)} {number_text(y / height)}" for x, y in clamped)
        result.lines.append(f"{class_id} {coords}")
    result.lines += pose_lines
    handled = {"bounding_box"} if names is not None else {"bounding_box", "polygon"}
    for tool, anns in tools.items():
        count = sum(1 for a in anns if id(a) not in consumed) if tool in ("keypoint", "group") else len(anns)
        if tool not in handled and count:
            result.dropped[tool] = result.dropped.get(tool, 0) + count
    return result


def _box_text(box: list[float], width: int, height: int, result: YoloLines) -> str | None:
    """Return ``cx cy w h`` of the box clipped to the image, or ``None`` when it lies entirely outside."""
    x1, y1 = _clamp(box[0], width), _clamp(box[1], height)
    x2, y2 = _clamp(box[0] + box[2], width), _clamp(box[1] + box[3], height)
    moved = max(
        abs(a - b) for a, b in zip((x1, y1, x2, y2), (box[0], box[1], box[0] + box[2], box[1] + box[3]), strict=True)
    )
    if moved > 0:
        if (x2 <= x1 or y2 <= y1) and box[2] > 0 and box[3] > 0:
            return None
        if moved > _ROUNDING_SLACK:  # rounding of relative coordinates (x = -0.000007) is not worth a report line
            result.clipped += 1
    values = [(x1 + x2) / 2 / width, (y1 + y2) / 2 / height, (x2 - x1) / width, (y2 - y1) / height]
    return " ".join(number_text(v) for v in values)


def _pose_slots(
    keypoints: list[dict[str, Any]], names: list[str], *, width: int, height: int, result: YoloLines, label: str
) -> str:
    slots = ["0 0 0"] * len(names)
    for kp in keypoints:
        name = annotation_class(kp, label)
        if name not in names:
            raise ItemError(label, f"keypoint {name!r} is not in the given keypoint names")
        x, y = as_point(kp.get("data"), label)
        visibility = {a["name"]: a.get("value") for a in annotation_attrs(kp)}.get("visibility", 2)
        if not (0 <= x <= width and 0 <= y <= height):
            result.clipped += 1
        x, y = _clamp(x, width), _clamp(y, height)
        slots[names.index(name)] = f"{number_text(x / width)} {number_text(y / height)} {1 if visibility == 1 else 2}"
    return " ".join(slots)


def _parse_numbers(parts: list[str], label: str, line_no: int) -> list[float]:
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise ItemError(label, f"line {line_no}: not a number ({exc})") from exc
    if not all(math.isfinite(v) for v in values):
        raise ItemError(label, f"line {line_no}: not a finite number")
    return values


def yolo_lines_to_dm(
    lines: Iterable[str],
    *,
    width: int,
    height: int,
    class_names: Sequence[str],
    keypoint_names: Sequence[str] | None = None,
    label: str = "item",
) -> dict[str, Any]:
    """Convert one YOLO label file's lines to a DM v2 item.

    A line with 5 values is a box; with ``keypoint_names`` (pose), a line with ``5 + 3k`` values is a box with
    keypoints; otherwise a line with an odd count of at least 7 values is a polygon.

    Args:
        lines: The label file's lines.
        width: Image width in pixels.
        height: Image height in pixels.
        class_names: Class names by index.
        keypoint_names: Pose keypoint names in ``kpt_shape`` order, for pose datasets.
        label: Names the item in errors.

    Returns:
        The DM v2 item (pixel coordinates).

    Raises:
        ItemError: A line is malformed or its class index is out of range.

    Example:
        >>> dm = yolo_lines_to_dm(["0 0.5 0.5 0.2 0.4"], width=100, height=50, class_names=["cat"])
        >>> dm["images"][0]["bounding_box"][0]["data"]
        [40.0, 15.0, 20.0, 20.0]
    """
    builder = DMItemBuilder()
    kpt_count = len(keypoint_names) if keypoint_names is not None else None
    for line_no, raw in enumerate(lines, start=1):
        parts = raw.split()
        if not parts:
            continue
        if not parts[0].isdigit():
            raise ItemError(label, f"line {line_no}: class index {parts[0]!r} is not a non-negative integer")
        class_id = int(parts[0])
        if class_id >= len(class_names):
            raise ItemError(label, f"line {line_no}: class index {class_id} has no name ({len(class_names)} classes)")
        name = class_names[class_id]
        values = _parse_numbers(parts[1:], label, line_no)

        def box(v: list[float]) -> list[float]:
            cx, cy, w, h = v[0] * width, v[1] * height, v[2] * width, v[3] * height
            return [cx - w / 2, cy - h / 2, w, h]

        if len(values) == 4:
            builder.add("bounding_box", name, box(values))
        elif kpt_count is not None and len(values) in (4 + 3 * kpt_count, 4 + 2 * kpt_count):
            step = 3 if len(values) == 4 + 3 * kpt_count else 2
            labeled: list[tuple[str, list[float], list[dict[str, Any]]]] = []
            for k, kp_name in enumerate(keypoint_names or ()):
                triple = values[4 + step * k : 4 + step * (k + 1)]
                visibility = int(triple[2]) if step == 3 else 2
                if visibility == 0 or (step == 2 and triple[0] == triple[1] == 0):
                    continue
                attrs = [{"name": "visibility", "value": 1}] if visibility == 1 else []
                labeled.append((kp_name, [triple[0] * width, triple[1] * height], attrs))
            members = [builder.add("bounding_box", name, box(values[:4]))]
            if labeled:  # a pose line without any labeled keypoint is a plain box
                members += [builder.add("keypoint", kp_name, xy, attrs) for kp_name, xy, attrs in labeled]
                builder.add("group", name, members)
        elif len(values) >= 6 and len(values) % 2 == 0:
            points = [[values[i] * width, values[i + 1] * height] for i in range(0, len(values), 2)]
            builder.add("polygon", name, points)
        else:
            raise ItemError(label, f"line {line_no}: {len(values)} values fit neither a box, a polygon nor a pose")
    return builder.build()


# --- folder conversion ------------------------------------------------------------------------------------------


def convert_dm_to_yolo(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    classes: Iterable[str] | None = None,
    keypoint_names: Sequence[str] | None = None,
    image_mode: ImageMode = "copy",
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    r"""Convert a DM dataset folder to the Ultralytics YOLO layout, one item at a time.

    Args:
        source: The DM dataset folder.
        target: The YOLO dataset folder to create (must be empty or missing).
        classes: Class names in index order; without it, indices follow the order classes are first met.
        keypoint_names: Pose keypoint names (writes pose labels and ``kpt_shape``); ``None`` for detection and
            segmentation labels.
        image_mode: How images are placed: ``copy``, ``link``, ``symlink`` or ``none``.
        strict: Stop at the first bad item instead of reporting it and going on.
        progress: Called with the number of items handled so far.

    Returns:
        What was converted, what failed and why, what YOLO could not hold, and the class names by index.

    Raises:
        LayoutError: ``source`` is not a DM dataset.
        ConversionError: ``target`` is not empty, or ``classes`` or ``keypoint_names`` has duplicates.
        ItemError: In strict mode, the first bad item.

    Example:
        >>> import pathlib, tempfile
        >>> from synapse_plugins.converters.testing import make_dm_dataset
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> make_dm_dataset(root / "dm", {None: {"a": [("bounding_box", "cat", [0, 0, 32, 24])]}}, size=(64, 48))
        >>> convert_dm_to_yolo(root / "dm", root / "yolo").classes
        ['cat']
        >>> (root / "yolo" / "labels" / "default" / "a.txt").read_text()
        '0 0.25 0.25 0.5 0.5\n'
    """
    import yaml

    source, target = Path(source), Path(target)
    if keypoint_names is not None and len(set(keypoint_names)) != len(keypoint_names):
        raise ConversionError("keypoint_names", "duplicate keypoint name")
    items = iter_dm_items(source)
    refuse_nonempty_target(target)
    report = ConversionReport()
    runner = ItemRunner(report, strict=strict, progress=progress)
    index = ClassIndex(classes)
    splits: list[str] = []
    with BackgroundWriter() as writer:
        for item in items:
            with runner.item(item.label):
                data = read_dm_item(item)
                if item.image_path is None:
                    raise ItemError(item.label, f"no image named {item.name}.* in original_files")
                split = split_to_external(item.split)
                width, height = read_image_size(item.image_path)
                converted = dm_to_yolo_lines(
                    data, width=width, height=height, classes=index, keypoint_names=keypoint_names, label=item.label
                )
                labels = "".join(f"{line}\n" for line in converted.lines)
                writer.submit(
                    place_image, item.image_path, target / "images" / split / item.image_path.name, image_mode
                )
                writer.submit(write_text, target / "labels" / split / f"{item.name}.txt", labels)
                if split not in splits:
                    splits.append(split)
                for tool, count in converted.dropped.items():
                    report.drop(tool, count)
                report.drop("clipped", converted.clipped)
    config: dict[str, Any] = {"path": "."}
    for split in splits:
        config[_YAML_SPLIT_KEYS.get(split, split)] = f"images/{split}"
    config["nc"] = len(index)
    config["names"] = dict(enumerate(index.names))
    if keypoint_names is not None:
        config["kpt_shape"] = [len(keypoint_names), 3]
        config["kpt_names"] = list(keypoint_names)
    text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
    write_text(target / "dataset.yaml", text)
    write_text(target / "data.yaml", text)  # the name datumaro's Ultralytics importer looks for
    report.classes = index.names
    return report


def _read_names_file(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _yolo_config(source: Path) -> tuple[list[str], list[str] | None]:
    import yaml

    for name in ("dataset.yaml", "data.yaml"):
        path = source / name
        if path.is_file():
            try:
                config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise LayoutError(name, f"not valid YAML: {exc}") from exc
            names = config.get("names") if isinstance(config, dict) else None
            if isinstance(names, dict):
                if sorted(int(k) for k in names) != list(range(len(names))):
                    raise LayoutError(name, "class indices in 'names' must be 0..n-1")
                class_names = [str(names[k]) for k in sorted(names, key=int)]
            elif isinstance(names, list):
                class_names = [str(n) for n in names]
            else:
                raise LayoutError(name, "no 'names' list or mapping")
            kpt_names: list[str] | None = None
            shape = config.get("kpt_shape")
            if isinstance(shape, list) and shape:
                given = config.get("kpt_names")
                kpt_names = [str(n) for n in given] if isinstance(given, list) else []
                kpt_names += [f"keypoint_{i}" for i in range(len(kpt_names), int(shape[0]))]
            return class_names, kpt_names
    for name in ("obj.names", "classes.txt"):
        if (source / name).is_file():
            return _read_names_file(source / name), None
    raise LayoutError(str(source), "no dataset.yaml, data.yaml, obj.names or classes.txt with the class names")


def _yolo_pairs(source: Path) -> list[tuple[str, Path, Path]]:
    """(external split, image folder, label folder) triples in a YOLO layout."""
    found: list[tuple[str, Path, Path]] = []
    images, labels = source / "images", source / "labels"
    if images.is_dir() and labels.is_dir():
        subdirs = sorted(p.name for p in images.iterdir() if p.is_dir())
        if subdirs:
            found += [(s, images / s, labels / s) for s in subdirs]
        else:
            found.append(("default", images, labels))
    for folder in sorted(source.glob("obj_*_data")):
        found.append((folder.name[len("obj_") : -len("_data")], folder, folder))
    if not found:
        raise LayoutError(str(source), "no images/<split>/ with labels/<split>/, and no obj_<split>_data/")
    return found


def convert_yolo_to_dm(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    image_mode: ImageMode = "copy",
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    """Convert a YOLO dataset folder (Ultralytics or Darknet layout) to a DM dataset folder, one image at a time.

    Images without a label file become items without annotations.

    Args:
        source: The YOLO dataset folder.
        target: The DM dataset folder to create (must be empty or missing).
        image_mode: How images are placed: ``copy``, ``link``, ``symlink`` or ``none``.
        strict: Stop at the first bad item instead of reporting it and going on.
        progress: Called with the number of images handled so far.

    Returns:
        What was converted and what failed and why; ``classes`` lists the class names by index.

    Raises:
        LayoutError: No class names or no image folders were found.
        ConversionError: ``target`` is not empty.
        ItemError: In strict mode, the first bad item.

    Example:
        >>> import pathlib, tempfile
        >>> from synapse_plugins.converters.testing import make_dm_dataset
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> make_dm_dataset(root / "dm", {"train": {"a": [("bounding_box", "cat", [0, 0, 32, 24])]}})
        >>> _ = convert_dm_to_yolo(root / "dm", root / "yolo")
        >>> convert_yolo_to_dm(root / "yolo", root / "back").converted
        1
    """
    source, target = Path(source), Path(target)
    class_names, kpt_names = _yolo_config(source)
    pairs = _yolo_pairs(source)
    refuse_nonempty_target(target)
    report = ConversionReport(classes=class_names)
    runner = ItemRunner(report, strict=strict, progress=progress)
    with BackgroundWriter() as writer:
        for external_split, image_dir, label_dir in pairs:
            split = split_from_external(external_split)
            for image_path in sorted(p for p in image_dir.iterdir() if p.suffix in IMAGE_SUFFIXES and p.is_file()):
                item_label = image_path.relative_to(source).as_posix()
                with runner.item(item_label):
                    label_path = label_dir / f"{image_path.stem}.txt"
                    width, height = read_image_size(image_path)
                    lines = label_path.read_text(encoding="utf-8").splitlines() if label_path.is_file() else []
                    data = yolo_lines_to_dm(
                        lines, width=width, height=height, class_names=class_names, keypoint_names=kpt_names,
                        label=item_label,
                    )  # fmt: skip
                    writer.submit(
                        write_dm_item, target, split, name=image_path.stem, data=data, image=image_path,
                        image_mode=image_mode,
                    )  # fmt: skip
    return report
