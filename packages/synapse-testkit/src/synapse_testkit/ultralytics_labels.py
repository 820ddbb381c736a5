"""A YOLO label reader that follows Ultralytics' documented rules, to check what a trainer sees in our files.

The rules, from ``ultralytics.data.utils.verify_image_label`` and the dataset docs
(https://docs.ultralytics.com/datasets/detect/, /segment/, /pose/):

- a label file is split into lines, each line into whitespace-separated values; empty lines are skipped;
- without ``kpt_shape``: when ANY line has more than 6 values the whole file is a segmentation file, every line is
  read as ``class x1 y1 x2 y2 ...`` and its box is the extent of those points (a box line ``class cx cy w h`` then
  becomes the extent of the two points ``(cx, cy)`` and ``(w, h)``); otherwise every line must have exactly 5 values;
- with ``kpt_shape [k, d]`` every line must have ``5 + k * d`` values;
- all coordinates are in 0..1 (keypoint coordinates for pose) and no value is negative;
- identical lines are kept once.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class LabelFileError(ValueError):
    """Ultralytics would refuse the file (it marks the image corrupt and skips it)."""


@dataclass
class Labels:
    """What Ultralytics takes from one label file."""

    boxes: list[tuple[int, float, float, float, float]] = field(default_factory=list)  # class, cx, cy, w, h
    segments: list[list[tuple[float, float]]] | None = None
    keypoints: list[list[tuple[float, ...]]] | None = None


def _extent(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, max(xs) - min(xs), max(ys) - min(ys))


def read_labels(text: str, kpt_shape: tuple[int, int] | None = None) -> Labels:
    """Read one label file's text the way Ultralytics does."""
    rows = [line.split() for line in text.strip().splitlines() if len(line)]
    labels = Labels()
    if not rows:
        return labels
    if any(len(r) > 6 for r in rows) and kpt_shape is None:
        labels.segments = []
        for r in rows:
            values = [float(v) for v in r[1:]]
            if len(values) % 2:
                raise LabelFileError(f"segment with an odd number of coordinates: {r}")
            points = [(values[i], values[i + 1]) for i in range(0, len(values), 2)]
            labels.segments.append(points)
            labels.boxes.append((int(float(r[0])), *_extent(points)))
    else:
        want = 5 + kpt_shape[0] * kpt_shape[1] if kpt_shape else 5
        if kpt_shape:
            labels.keypoints = []
        for r in rows:
            if len(r) != want:
                raise LabelFileError(f"labels require {want} columns each, got {len(r)}")
            values = [float(v) for v in r]
            labels.boxes.append((int(values[0]), *values[1:5]))
            if kpt_shape:
                step = kpt_shape[1]
                labels.keypoints.append([tuple(values[i : i + step]) for i in range(5, len(values), step)])
    coords = (
        [v for b in labels.boxes for v in b[1:]]
        if not kpt_shape
        else [c for kps in labels.keypoints or [] for kp in kps for c in kp[:2]]
    )
    if coords and max(coords) > 1:
        raise LabelFileError(f"non-normalized or out of bounds coordinates {max(coords)}")
    if any(v < 0 for b in labels.boxes for v in b):
        raise LabelFileError("negative label values")
    seen: dict[tuple, int] = {}
    for position, box in enumerate(labels.boxes):
        seen.setdefault(box, position)
    if len(seen) < len(labels.boxes):
        keep = sorted(seen.values())
        labels.boxes = [labels.boxes[i] for i in keep]
        if labels.segments is not None:
            labels.segments = [labels.segments[i] for i in keep]
    return labels
