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

import functools
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .classes import ClassIndex
from .dm import (
    DMItemBuilder,
    annotation_attrs,
    annotation_class,
    image_annotations,
    keypoint_groups,
    refuse_nonempty_target,
    split_from_external,
    split_to_external,
    walk_files,
)
from .dmfolder import DmWriter, NameRegistry, read_dm
from .errors import ConversionError, ItemError, LayoutError
from .files import ImageMode, StagedOutput, read_file, safe_member, write_text
from .geometry import as_box, as_point, as_points, number_text, points_bbox
from .imagesize import IMAGE_SUFFIXES, read_image_size
from .records import DMRecord, PendingItem, run_pipeline
from .report import ConversionReport, ProgressCallback

__all__ = [
    "YoloLines",
    "YoloTask",
    "YoloWriter",
    "convert_dm_to_yolo",
    "convert_yolo_to_dm",
    "dm_to_yolo_lines",
    "read_yolo",
    "yolo_lines_to_dm",
]

# Pixels a coordinate may lie outside the image before the clipping is counted in the report.
_ROUNDING_SLACK = 1e-3
_YAML_SPLIT_KEYS = {"train": "train", "val": "val", "test": "test"}


#: What a YOLO dataset's label files hold: boxes (``detect``) or polygons (``segment``); one kind per dataset.
YoloTask = Literal["detect", "segment"]


@dataclass
class YoloLines:
    """One image converted to YOLO label lines.

    Attributes:
        lines: The label file's lines, without newlines.
        dropped: Annotations YOLO cannot hold (or that lie entirely outside the image), per DM tool.
        clipped: Boxes and polygons clipped to the image.
        adjusted: Annotations written in the dataset's one kind (``polygon_as_box``, ``box_as_polygon``,
            ``mask_as_box``).

    Example:
        >>> YoloLines(["0 0.5 0.5 1 1"]).clipped
        0
    """

    lines: list[str]
    dropped: dict[str, int] = field(default_factory=dict)
    clipped: int = 0
    adjusted: dict[str, int] = field(default_factory=dict)

    def _count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1


def _clamp(value: float, high: float) -> float:
    return min(max(value, 0.0), high)


def _mask_box(ann: dict[str, Any], width: int, height: int, label: str) -> list[float]:
    pixels = ann.get("data")
    if (
        not isinstance(pixels, list)
        or not pixels
        or not all(isinstance(p, int) and not isinstance(p, bool) for p in pixels)
    ):
        raise ItemError(label, "segmentation data must be a non-empty list of pixel indices")
    if min(pixels) < 0 or max(pixels) >= width * height:
        raise ItemError(label, f"segmentation pixel index outside a {width}x{height} image")
    xs = [p % width for p in pixels]
    ys = [p // width for p in pixels]
    return [float(min(xs)), float(min(ys)), float(max(xs) - min(xs) + 1), float(max(ys) - min(ys) + 1)]


def dm_to_yolo_lines(
    data: dict[str, Any],
    *,
    width: int,
    height: int,
    classes: ClassIndex,
    keypoint_names: Sequence[str] | None = None,
    task: YoloTask = "detect",
    label: str = "item",
) -> YoloLines:
    """Convert one DM v2 item to YOLO label lines of one kind.

    Ultralytics reads a label file that has any polygon line as all polygons (a box line then becomes a
    zero-size shape), so every file of a dataset holds one kind: with ``task="detect"`` (the default) boxes, a
    polygon or mask written as its bounding box; with ``task="segment"`` polygons, a box written as its 4 corners.
    Each such change is counted in ``adjusted``.

    Args:
        data: The DM v2 item.
        width: Image width in pixels.
        height: Image height in pixels.
        classes: Class indices shared by the dataset (grows unless fixed).
        keypoint_names: The pose keypoint names in ``kpt_shape`` order (a pose dataset: box lines with keypoints);
            ``None`` writes ``task`` lines.
        task: ``detect`` (boxes) or ``segment`` (polygons); ignored for pose.
        label: Names the item in errors.

    Returns:
        The lines and what could not be written.

    Raises:
        ItemError: An annotation is malformed or its class is not allowed.

    Example:
        >>> from synapse_plugins.converters.classes import ClassIndex
        >>> data = {"images": [{"polygon": [{"classification": "a", "data": [[0, 0], [50, 0], [50, 120]]}]}]}
        >>> result = dm_to_yolo_lines(data, width=100, height=100, classes=ClassIndex(), task="segment")
        >>> result.lines, result.clipped
        (['0 0 0 0.5 0 0.5 1'], 1)
        >>> dm_to_yolo_lines(data, width=100, height=100, classes=ClassIndex()).lines
        ['0 0.25 0.5 0.5 1']
    """
    if task not in ("detect", "segment"):
        raise ConversionError("task", f"YOLO task must be 'detect' or 'segment', not {task!r}")
    tools = image_annotations(data, label)
    result = YoloLines([])
    names = list(keypoint_names) if keypoint_names is not None else None
    consumed: set[int] = set()
    pose_lines = _pose_lines(tools, names, classes, width, height, result, consumed, label) if names is not None else []
    lines = _Lines(result, width, height, segment=task == "segment" and names is None, keypoints=len(names or ()))
    for ann in tools.get("bounding_box", []):
        if (
            id(ann) not in consumed
            and lines.box(classes.index(annotation_class(ann, label)), as_box(ann.get("data"), label), "bounding_box")
            and lines.segment
        ):
            result._count(result.adjusted, "box_as_polygon")
    for ann in tools.get("polygon", []):
        points = as_points(ann.get("data"), label)
        class_id = classes.index(annotation_class(ann, label))
        if lines.segment:
            lines.polygon(class_id, points)
        elif lines.box(class_id, points_bbox(points), "polygon"):
            result._count(result.adjusted, "polygon_as_box")
    for ann in tools.get("segmentation", []) if not lines.segment else []:
        box = _mask_box(ann, width, height, label)
        if lines.box(classes.index(annotation_class(ann, label)), box, "segmentation"):
            result._count(result.adjusted, "mask_as_box")
    result.lines += pose_lines
    handled = {"bounding_box", "polygon"} | (set() if lines.segment else {"segmentation"})
    with_attrs = sum(
        1 for tool in handled for a in tools.get(tool, []) if id(a) not in consumed and annotation_attrs(a)
    )
    if with_attrs:  # YOLO label lines have no place for attributes
        result.dropped["attributes"] = with_attrs
    for tool, anns in tools.items():
        count = sum(1 for a in anns if id(a) not in consumed) if tool in ("keypoint", "group") else len(anns)
        if tool not in handled and count:
            result.dropped[tool] = result.dropped.get(tool, 0) + count
    return result


def _pose_lines(  # noqa: PLR0917 - one helper of dm_to_yolo_lines
    tools: dict[str, list[dict[str, Any]]],
    names: list[str],
    classes: ClassIndex,
    width: int,
    height: int,
    result: YoloLines,
    consumed: set[int],
    label: str,
) -> list[str]:
    lines = []
    for group in keypoint_groups(tools):
        if len(group.boxes) != 1:
            continue
        text = _box_text(as_box(group.boxes[0].get("data"), label), width, height, result)
        if text is None:
            result._count(result.dropped, "group")
        else:
            slots = _pose_slots(group.keypoints, names, width=width, height=height, result=result, label=label)
            lines.append(f"{classes.index(annotation_class(group.group, label))} {text} {slots}")
        consumed.update(id(a) for a in (*group.keypoints, group.boxes[0]))
    return lines


class _Lines:
    """Writes box and polygon lines of one label file in its one kind (boxes, or polygons when ``segment``)."""

    def __init__(self, result: YoloLines, width: int, height: int, *, segment: bool, keypoints: int) -> None:
        self.result, self.width, self.height, self.segment = result, width, height, segment
        self.empty_keypoints = " ".join(["0 0 0"] * keypoints)

    def _coords(self, points: Iterable[tuple[float, float]] | list[list[float]]) -> str:
        return " ".join(f"{number_text(x / self.width)} {number_text(y / self.height)}" for x, y in points)

    def box(self, class_id: int, box: list[float], tool: str) -> bool:
        """Write a box (as 4 corners in a segment file); ``False`` when it lies outside the image (dropped)."""
        if not self.segment:
            text = _box_text(box, self.width, self.height, self.result)
            if text is None:
                self.result._count(self.result.dropped, tool)
                return False
            self.result.lines.append(f"{class_id} {text} {self.empty_keypoints}".rstrip())
            return True
        x1, y1 = _clamp(box[0], self.width), _clamp(box[1], self.height)
        x2, y2 = _clamp(box[0] + box[2], self.width), _clamp(box[1] + box[3], self.height)
        moved = [x1, y1, x2, y2] != [box[0], box[1], box[0] + box[2], box[1] + box[3]]
        if moved and (x2 <= x1 or y2 <= y1) and box[2] > 0 and box[3] > 0:
            self.result._count(self.result.dropped, tool)
            return False
        self.result.clipped += moved
        self.result.lines.append(f"{class_id} {self._coords(((x1, y1), (x2, y1), (x2, y2), (x1, y2)))}")
        return True

    def polygon(self, class_id: int, points: list[list[float]]) -> None:
        """Write a polygon, clipped to the image."""
        clamped = [[_clamp(x, self.width), _clamp(y, self.height)] for x, y in points]
        self.result.clipped += clamped != points
        self.result.lines.append(f"{class_id} {self._coords(clamped)}")


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
    if not all(p.isascii() for p in parts):
        raise ItemError(label, f"line {line_no}: numbers must be written with ASCII digits")
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
        if not (parts[0].isascii() and parts[0].isdigit()) or len(parts[0]) > 9:
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


# --- folder conversion: DM records -> YOLO -----------------------------------------------------------------------


class YoloWriter:
    """Write DM records as an Ultralytics YOLO dataset (``images/<split>/``, ``labels/<split>/``, ``dataset.yaml``).

    Args:
        target: The folder to create (must be empty or missing).
        image_mode: How images are placed.
        classes: Class names in index order; without it, indices follow the order classes are first met.
        keypoint_names: Pose keypoint names (pose labels and ``kpt_shape``); ``None`` for ``task`` labels.
        task: ``detect`` (every label line a box) or ``segment`` (every label line a polygon).

    Raises:
        ConversionError: ``target`` is not empty, ``task`` is unknown, or ``classes`` or ``keypoint_names`` has
            duplicates.

    Example:
        >>> import pathlib, tempfile
        >>> YoloWriter(pathlib.Path(tempfile.mkdtemp()) / "new", "none", task="segment").task
        'segment'
    """

    def __init__(
        self,
        target: Path,
        image_mode: ImageMode,
        classes: Iterable[str] | None = None,
        keypoint_names: Sequence[str] | None = None,
        task: YoloTask = "detect",
    ) -> None:
        if task not in ("detect", "segment"):
            raise ConversionError("task", f"YOLO task must be 'detect' or 'segment', not {task!r}")
        if keypoint_names is not None and len(set(keypoint_names)) != len(keypoint_names):
            raise ConversionError("keypoint_names", "duplicate keypoint name")
        self.index = ClassIndex(classes)
        refuse_nonempty_target(target)
        self._out = StagedOutput(target)
        self.target = self._out.root
        self.image_mode = image_mode
        self.keypoint_names = list(keypoint_names) if keypoint_names is not None else None
        self.task = task
        self._splits: list[str] = []
        self._names = NameRegistry()

    def add(self, record: DMRecord, report: ConversionReport) -> None:
        """Convert one record to label lines and queue its files.

        Args:
            record: The item.
            report: Counts what YOLO cannot hold and what was written in another form.

        Raises:
            ItemError: The item is malformed, its class is not allowed, or its name is taken.
        """
        split = split_to_external(record.split)
        label_path = safe_member(self.target / "labels" / split, f"{record.name}.txt")
        suffix = record.image.suffix if record.image is not None else ""
        image_path = safe_member(self.target / "images" / split, f"{record.name}{suffix}")
        width, height = record.image_size()
        converted = dm_to_yolo_lines(
            record.data, width=width, height=height, classes=self.index, keypoint_names=self.keypoint_names,
            task=self.task, label=record.name,
        )  # fmt: skip
        self._names.claim(split, record.name, f"labels/{split}/{record.name}.txt")
        if record.image is not None:
            self._out.place(record.image, image_path, self.image_mode)
        self._out.write(label_path, "".join(f"{line}\n" for line in converted.lines).encode("utf-8"))
        if split not in self._splits:
            self._splits.append(split)
        report.merge_counts(converted.dropped, {"clipped": converted.clipped, **converted.adjusted})

    def close(self, report: ConversionReport) -> None:
        """Flush the files and write ``dataset.yaml`` (and ``data.yaml``, the name datumaro looks for).

        Args:
            report: Gets the class names.
        """
        import yaml

        config: dict[str, Any] = {"path": "."}
        for split in self._splits:
            config[_YAML_SPLIT_KEYS.get(split, split)] = f"images/{split}"
        config["nc"] = len(self.index)
        config["names"] = dict(enumerate(self.index.names))
        if self.keypoint_names is not None:
            config["kpt_shape"] = [len(self.keypoint_names), 3]
            config["kpt_names"] = list(self.keypoint_names)
        text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
        write_text(self.target / "dataset.yaml", text)
        write_text(self.target / "data.yaml", text)
        self._out.commit()
        report.classes = self.index.names

    def abort(self) -> None:
        """Remove everything written; the target stays empty."""
        self._out.discard()


def convert_dm_to_yolo(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    classes: Iterable[str] | None = None,
    keypoint_names: Sequence[str] | None = None,
    task: YoloTask = "detect",
    image_mode: ImageMode = "copy",
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    r"""Convert a DM dataset folder to the Ultralytics YOLO layout, one item at a time.

    Every label file holds one kind of line (see
    [`dm_to_yolo_lines`][synapse_plugins.converters.yolo.dm_to_yolo_lines]): boxes for ``task="detect"`` (the
    default), polygons for ``task="segment"``; ``report.adjusted`` counts the shapes written in the other form.

    Args:
        source: The DM dataset folder.
        target: The YOLO dataset folder to create (must be empty or missing).
        classes: Class names in index order; without it, indices follow the order classes are first met.
        keypoint_names: Pose keypoint names (writes pose labels and ``kpt_shape``); ``None`` for detection or
            segmentation labels.
        task: ``detect`` or ``segment``.
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
    items = read_dm(source)
    writer = YoloWriter(Path(target), image_mode, classes, keypoint_names, task)
    return run_pipeline(items, writer, ConversionReport(), strict=strict, progress=progress)


#: Largest ``dataset.yaml`` / names file read (bytes), most class names, most pose keypoints.
MAX_CONFIG_BYTES = 1 << 20
MAX_CLASSES = 100_000
MAX_YOLO_KEYPOINTS = 1000


def _read_config_text(path: Path) -> str:
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise LayoutError(path.name, f"cannot read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_CONFIG_BYTES:
        raise LayoutError(path.name, f"larger than {MAX_CONFIG_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LayoutError(path.name, f"not UTF-8 text (byte {exc.start})") from exc


def _read_names_file(path: Path) -> list[str]:
    names = [line.strip() for line in _read_config_text(path).splitlines() if line.strip()]
    if len(names) > MAX_CLASSES:
        raise LayoutError(path.name, f"more than {MAX_CLASSES} class names")
    return names


def _scalar_name(value: Any, where: str) -> str:
    # A name is a YAML scalar; a list or mapping here (a nested alias can make one huge) is refused, not printed.
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise LayoutError(where, f"class names must be strings, got a {type(value).__name__}")
    text = str(value)
    if not text or len(text) > 1000:
        raise LayoutError(where, "class names must be 1 to 1000 characters")
    return text


def _class_names(names: Any, where: str) -> list[str]:
    if isinstance(names, dict):
        if len(names) > MAX_CLASSES:
            raise LayoutError(where, f"more than {MAX_CLASSES} class names")
        keys: list[int] = []
        for key in names:
            if (
                isinstance(key, bool)
                or not isinstance(key, (int, str))
                or not str(key).isascii()
                or not str(key).isdigit()
            ):
                raise LayoutError(where, f"class index {str(key)[:20]!r} in 'names' is not a non-negative integer")
            keys.append(int(key))
        if sorted(keys) != list(range(len(names))):
            raise LayoutError(where, "class indices in 'names' must be 0..n-1")
        by_index = {int(k): v for k, v in names.items()}
        return [_scalar_name(by_index[i], where) for i in range(len(names))]
    if isinstance(names, list):
        if len(names) > MAX_CLASSES:
            raise LayoutError(where, f"more than {MAX_CLASSES} class names")
        return [_scalar_name(n, where) for n in names]
    raise LayoutError(where, "no 'names' list or mapping")


def _keypoint_config(config: dict[str, Any], where: str) -> list[str] | None:
    shape = config.get("kpt_shape")
    if shape is None:
        return None
    if (
        not isinstance(shape, list)
        or len(shape) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in shape)
        or not 0 < shape[0] <= MAX_YOLO_KEYPOINTS
        or shape[1] not in (2, 3)
    ):
        raise LayoutError(where, f"kpt_shape must be [k, 2 or 3] with 1 <= k <= {MAX_YOLO_KEYPOINTS}")
    given = config.get("kpt_names")
    if isinstance(given, dict):  # Ultralytics writes {class index: [names]}; one list serves every class here
        given = next(iter(given.values()), None)
    kpt_names = [_scalar_name(n, where) for n in given[: shape[0]]] if isinstance(given, list) else []
    kpt_names += [f"keypoint_{i}" for i in range(len(kpt_names), shape[0])]
    if len(set(kpt_names)) != len(kpt_names):
        raise LayoutError(where, "kpt_names must be distinct")
    return kpt_names


def _yolo_config(source: Path) -> tuple[list[str], list[str] | None]:
    import yaml

    for name in ("dataset.yaml", "data.yaml"):
        path = source / name
        if path.is_file():
            try:
                config = yaml.safe_load(_read_config_text(path)) or {}
            except (yaml.YAMLError, RecursionError) as exc:
                raise LayoutError(name, f"not valid YAML: {str(exc)[:200]}") from exc
            if not isinstance(config, dict):
                raise LayoutError(name, "not a YAML mapping")
            return _class_names(config.get("names"), name), _keypoint_config(config, name)
    for name in ("obj.names", "classes.txt"):
        if (source / name).is_file():
            return _read_names_file(source / name), None
    raise LayoutError(str(source), "no dataset.yaml, data.yaml, obj.names or classes.txt with the class names")


def _yolo_pairs(source: Path) -> list[tuple[str, Path, Path]]:
    """(external split, image folder, label folder) triples in a YOLO layout."""
    found: list[tuple[str, Path, Path]] = []
    images, labels = source / "images", source / "labels"
    if images.is_dir() and labels.is_dir():
        subdirs = sorted(p.name for p in images.iterdir() if p.is_dir() and not p.name.startswith("."))
        if subdirs:
            found += [(s, images / s, labels / s) for s in subdirs]
        else:
            found.append(("default", images, labels))
    for folder in sorted(source.glob("obj_*_data")):
        found.append((folder.name[len("obj_") : -len("_data")], folder, folder))
    if not found:
        raise LayoutError(str(source), "no images/<split>/ with labels/<split>/, and no obj_<split>_data/")
    for split, _, _ in found:
        split_from_external(split)  # "obj_.._data" or "images/..": refused before anything is written
    return found


def _read_label_lines(path: Path, label: str) -> list[str]:
    try:
        raw = read_file(path)
    except FileNotFoundError:
        return []
    try:
        return raw.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ItemError(label, f"label file is not UTF-8 text (byte {exc.start})") from exc


def read_yolo(source: str | os.PathLike[str], report: ConversionReport) -> Iterator[PendingItem]:
    """Yield the images of a YOLO dataset (Ultralytics or Darknet layout) as pending DM records.

    Images without a label file become items without annotations. Each label line is read by its own length (a
    box, a polygon, or with ``kpt_shape`` a pose line). Images in sub-folders keep them in their name.

    Args:
        source: The YOLO dataset folder.
        report: Gets the class names in ``classes``.

    Returns:
        The pending items.

    Raises:
        LayoutError: No class names, a bad ``dataset.yaml``, no image folders, or a split name that would leave the
            target.

    Example:
        >>> import pathlib, tempfile
        >>> read_yolo(pathlib.Path(tempfile.mkdtemp()), ConversionReport())
        Traceback (most recent call last):
        ...
        synapse_plugins.converters.errors.LayoutError: ...: no dataset.yaml, data.yaml, obj.names or classes.txt ...
    """
    source = Path(source)
    class_names, kpt_names = _yolo_config(source)
    pairs = _yolo_pairs(source)
    report.classes = list(class_names)

    def generate() -> Iterator[PendingItem]:
        for external_split, image_dir, label_dir in pairs:
            split = split_from_external(external_split)
            for relative in walk_files(image_dir):
                suffix = relative[relative.rfind(".") :] if "." in relative.rsplit("/", 1)[-1] else ""
                if suffix not in IMAGE_SUFFIXES:
                    continue
                name = relative[: -len(suffix)]
                item_label = (image_dir / relative).relative_to(source).as_posix()
                yield PendingItem(
                    item_label,
                    functools.partial(
                        _load_yolo_item, split, name, image_dir / relative, label_dir / f"{name}.txt", item_label,
                        class_names, kpt_names,
                    ),
                )  # fmt: skip

    return generate()


def _load_yolo_item(  # noqa: PLR0917 - bound with functools.partial
    split: str | None,
    name: str,
    image_path: Path,
    label_path: Path,
    label: str,
    class_names: list[str],
    kpt_names: list[str] | None,
) -> DMRecord:
    width, height = read_image_size(image_path)
    lines = _read_label_lines(label_path, label)
    data = yolo_lines_to_dm(
        lines, width=width, height=height, class_names=class_names, keypoint_names=kpt_names, label=label
    )
    return DMRecord(split, name, data, image_path, (width, height))


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
    report = ConversionReport()
    items = read_yolo(source, report)
    writer = DmWriter(Path(target), image_mode)
    return run_pipeline(items, writer, report, strict=strict, progress=progress)
