"""``synapse convert``: convert a dataset folder between DM, COCO, Pascal VOC and YOLO.

The converters are imported only when the command runs.

Example:
    ```console
    $ synapse convert --from dm --to coco ./dataset ./dataset-coco
    ```
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..converters import ConversionReport

__all__ = ["convert"]


_DATASET_FORMATS = ("dm", "coco", "voc", "yolo")
_FORMATS = (*_DATASET_FORMATS, "dm-v1", "dm-v2")
_PAIRS = {(a, b) for a in _DATASET_FORMATS for b in _DATASET_FORMATS if a != b} | {
    ("dm-v1", "dm-v2"),
    ("dm-v2", "dm-v1"),
}


def _class_list(classes: str | None, classes_file: Path | None) -> list[str] | None:
    if classes and classes_file:
        raise click.UsageError("give --classes or --classes-file, not both")
    if classes_file is not None:
        return [line.strip() for line in classes_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    if classes:
        return [name.strip() for name in classes.split(",") if name.strip()]
    return None


def _run_conversion(pair: tuple[str, str], source: Path, target: Path, options: dict[str, Any]) -> ConversionReport:
    from .. import converters

    if pair[0] in _DATASET_FORMATS:
        return converters.convert_dataset(source, target, source_format=pair[0], target_format=pair[1], **options)  # type: ignore[arg-type]
    options = {k: v for k, v in options.items() if k in ("image_mode", "strict", "progress")}
    return converters.convert_schema_folder(source, target, to="v2" if pair[1] == "dm-v2" else "v1", **options)


@click.command("convert")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--from", "source_format", type=click.Choice(_FORMATS), required=True, help="Format of SOURCE.")
@click.option("--to", "target_format", type=click.Choice(_FORMATS), required=True, help="Format to write to TARGET.")
@click.option("--classes", help="Comma-separated class names in index order (YOLO index, COCO id - 1).")
@click.option(
    "--classes-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="File with one class name per line, in index order.",
)
@click.option("--keypoints", help="Comma-separated pose keypoint names (--to yolo: pose labels).")
@click.option(
    "--yolo-task",
    type=click.Choice(["detect", "segment"]),
    default="detect",
    show_default=True,
    help="--to yolo: every label line a box (polygons become their bounding box) or a polygon (a box: 4 corners).",
)
@click.option(
    "--voc-boxes",
    type=click.Choice(["one-based", "unshifted"]),
    default="one-based",
    show_default=True,
    help="Pascal VOC boxes in the devkit's 1-based inclusive pixels, or as xmin = x, xmax = x + w.",
)
@click.option(
    "--image-mode",
    type=click.Choice(["copy", "link", "symlink", "none"]),
    default="copy",
    show_default=True,
    help="How images reach TARGET.",
)
@click.option("--strict", is_flag=True, help="Stop at the first bad item instead of reporting it and going on.")
@click.option("--quiet", "-q", is_flag=True, help="Print only failures and the summary.")
def convert(  # noqa: PLR0917 - click passes every option as a parameter
    source: Path,
    target: Path,
    source_format: str,
    target_format: str,
    classes: str | None,
    classes_file: Path | None,
    keypoints: str | None,
    yolo_task: str,
    voc_boxes: str,
    image_mode: str,
    strict: bool,
    quiet: bool,
) -> None:
    """Convert the dataset SOURCE into a new folder TARGET.

    Pairs: any two of dm, coco, voc, yolo (converted in one pass, no DM folder in between), and dm-v1 <-> dm-v2.
    Bad items are listed with the reason and the others are converted; the exit status is 1 when any item failed,
    2 when nothing could run.

    \b
    Examples:
      synapse convert --from dm --to coco ./dm_dataset ./coco_dataset
      synapse convert --from coco --to yolo --yolo-task segment ./coco_dataset ./yolo_dataset
      synapse convert --from dm --to yolo --classes cat,dog ./dm_dataset ./yolo_dataset
      synapse convert --from dm-v1 --to dm-v2 ./v1_json ./v2_json
    """  # noqa: D301 - click reads the \b marker to keep the examples unwrapped
    from ..converters import ConversionError

    pair = (source_format, target_format)
    if pair not in _PAIRS:
        raise click.UsageError(f"cannot convert {source_format} to {target_format}; pairs: " + ", ".join(
            f"{a}->{b}" for a, b in sorted(_PAIRS)))  # fmt: skip
    class_names = _class_list(classes, classes_file)
    keypoint_names = [n.strip() for n in keypoints.split(",") if n.strip()] if keypoints else None
    if class_names is not None and target_format not in ("coco", "yolo"):
        raise click.UsageError("--classes applies to --to coco and --to yolo only")
    if keypoint_names is not None and target_format != "yolo":
        raise click.UsageError("--keypoints applies to --to yolo only")

    def progress(done: int, total: int | None) -> None:
        if not quiet and done % 1000 == 0:
            click.echo(f"{done} items...", err=True)

    options: dict[str, Any] = {
        "image_mode": image_mode,
        "strict": strict,
        "progress": progress,
        "yolo_task": yolo_task,
        "voc_one_based": voc_boxes == "one-based",
    }
    if class_names is not None:
        options["classes"] = class_names
    if keypoint_names is not None:
        options["keypoint_names"] = keypoint_names
    try:
        report = _run_conversion(pair, source, target, options)
    except ConversionError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    for failure in report.failures:
        click.echo(f"failed: {failure}", err=True)
    summary = f"converted {report.converted} items to {target}"
    if report.failures:
        summary += f", {len(report.failures)} failed"
    if report.dropped:
        summary += "; not representable: " + ", ".join(f"{k} {v}" for k, v in sorted(report.dropped.items()))
    if report.adjusted:
        summary += "; written in another form: " + ", ".join(f"{k} {v}" for k, v in sorted(report.adjusted.items()))
    click.echo(summary)
    if report.classes and not quiet:
        click.echo("classes: " + ", ".join(f"{i}={name}" for i, name in enumerate(report.classes)))
    if report.failures:
        sys.exit(1)
