r"""Convert a dataset between any two of DM, COCO, Pascal VOC and YOLO in one pass.

The source format's reader yields DM records in memory and the target format's writer writes them: COCO -> YOLO
never goes through a DM folder on disk. Every pair has the same options, failure policy and report.

Example:
    >>> import pathlib, tempfile
    >>> from synapse_plugins.converters.testing import make_dm_dataset
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> make_dm_dataset(root / "dm", {"train": {"a": [("bounding_box", "cat", [0, 0, 32, 24])]}})
    >>> _ = convert_dataset(root / "dm", root / "coco", source_format="dm", target_format="coco")
    >>> report = convert_dataset(root / "coco", root / "yolo", source_format="coco", target_format="yolo")
    >>> report.converted, (root / "yolo" / "labels" / "train" / "a.txt").read_text()
    (1, '0 0.25 0.25 0.5 0.5\n')
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from .errors import ConversionError
from .files import ImageMode
from .records import DatasetWriter, PendingItem, run_pipeline
from .report import ConversionReport, ProgressCallback
from .yolo import YoloTask

__all__ = ["FORMATS", "DatasetFormat", "convert_dataset"]

#: A dataset format ``convert_dataset`` reads and writes.
DatasetFormat = Literal["dm", "coco", "voc", "yolo"]

#: Every format; any ordered pair of two different ones converts.
FORMATS: tuple[DatasetFormat, ...] = ("dm", "coco", "voc", "yolo")


def _reader(
    source_format: str, source: Path, report: ConversionReport, *, voc_one_based: bool
) -> Iterator[PendingItem]:
    if source_format == "dm":
        from .dmfolder import read_dm

        return read_dm(source)
    if source_format == "coco":
        from .coco import read_coco

        return read_coco(source, report)
    if source_format == "voc":
        from .voc import read_voc

        return read_voc(source, report, one_based=voc_one_based)
    from .yolo import read_yolo

    return read_yolo(source, report)


def _writer(
    target_format: str,
    target: Path,
    image_mode: ImageMode,
    *,
    classes: list[str] | None,
    keypoint_names: Sequence[str] | None,
    yolo_task: YoloTask,
    voc_one_based: bool,
) -> DatasetWriter:
    if target_format == "dm":
        from .dmfolder import DmWriter

        return DmWriter(target, image_mode)
    if target_format == "coco":
        from .coco import CocoWriter

        return CocoWriter(target, image_mode, classes)
    if target_format == "voc":
        from .voc import VocWriter

        return VocWriter(target, image_mode, one_based=voc_one_based)
    from .yolo import YoloWriter

    return YoloWriter(target, image_mode, classes, keypoint_names, yolo_task)


def convert_dataset(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    source_format: DatasetFormat,
    target_format: DatasetFormat,
    classes: Iterable[str] | None = None,
    keypoint_names: Sequence[str] | None = None,
    yolo_task: YoloTask = "detect",
    voc_one_based: bool = True,
    image_mode: ImageMode = "copy",
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    """Convert the dataset at ``source`` from ``source_format`` into a new folder ``target`` in ``target_format``.

    One item is in memory at a time (a COCO source's JSON files are loaded whole, as the format is one document
    per split). Bad items are recorded in the report and the others converted; ``strict`` stops at the first.

    Args:
        source: The source dataset (a folder; for COCO also one JSON file).
        target: The folder to create (must be empty or missing).
        source_format: ``dm``, ``coco``, ``voc`` or ``yolo``.
        target_format: Another of them.
        classes: Class names in index order for a COCO or YOLO target (COCO id = index + 1). Without it a YOLO source
            keeps its class indices and other sources number classes in the order they are first met.
        keypoint_names: Pose keypoint names for a YOLO target (pose labels and ``kpt_shape``).
        yolo_task: What a YOLO target's label files hold: ``detect`` (boxes; polygons and masks written as their
            bounding box) or ``segment`` (polygons; boxes written as 4 corners). Counted in ``report.adjusted``.
        voc_one_based: Pascal VOC boxes in the devkit's 1-based inclusive pixels (the standard), when reading and
            writing VOC; ``False`` for files written as ``xmin = x``, ``xmax = x + w``.
        image_mode: How images reach the target: ``copy``, ``link``, ``symlink`` or ``none``.
        strict: Stop at the first bad item instead of reporting it and going on.
        progress: Called with the number of items handled so far.

    Returns:
        What was converted, what failed and why, what the target cannot hold (``dropped``), what was written in
        another form (``adjusted``), and the target's class names.

    Raises:
        ConversionError: An unknown format or pair, an option the target does not take, or ``target`` is not empty.
        LayoutError: The source does not have the format's layout.
        ItemError: In strict mode, the first bad item.

    Example:
        >>> convert_dataset("a", "b", source_format="coco", target_format="coco")
        Traceback (most recent call last):
        ...
        synapse_plugins.converters.errors.ConversionError: coco -> coco: source and target formats must differ
    """
    pair = f"{source_format} -> {target_format}"
    if source_format not in FORMATS or target_format not in FORMATS:
        raise ConversionError(pair, f"formats are {', '.join(FORMATS)}")
    if source_format == target_format:
        raise ConversionError(pair, "source and target formats must differ")
    if classes is not None and target_format not in ("coco", "yolo"):
        raise ConversionError(pair, "classes apply to a COCO or YOLO target only")
    if keypoint_names is not None and target_format != "yolo":
        raise ConversionError(pair, "keypoint names apply to a YOLO target only")
    if yolo_task not in ("detect", "segment"):
        raise ConversionError(pair, f"YOLO task must be 'detect' or 'segment', not {yolo_task!r}")
    report = ConversionReport()
    items = _reader(source_format, Path(source), report, voc_one_based=voc_one_based)
    class_list = list(classes) if classes is not None else None
    if class_list is None and source_format == "yolo" and target_format in ("coco", "yolo"):
        class_list = list(report.classes)  # YOLO indices carry over: class i stays i (COCO id i + 1)
    writer = _writer(
        target_format, Path(target), image_mode, classes=class_list, keypoint_names=keypoint_names,
        yolo_task=yolo_task, voc_one_based=voc_one_based,
    )  # fmt: skip
    return run_pipeline(items, writer, report, strict=strict, progress=progress)
