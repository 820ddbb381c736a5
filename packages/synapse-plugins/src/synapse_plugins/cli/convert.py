"""``synapse convert``: convert a dataset folder between DM, COCO, Pascal VOC and YOLO.

The converters are imported only when the command runs.

Example:
    ```console
    $ synapse convert --from dm --to coco ./dataset ./dataset-coco
    ```
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from synapse_fileutils.progress import ProgressCallback

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


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[ProgressCallback]:
    """A progress callable: a live count with rate and elapsed time on a terminal, a line per 1,000 items elsewhere.

    The converters stream a folder without counting it first, so there is no total to show an ETA against.
    """
    if quiet:
        yield lambda done, total: None
        return
    if not sys.stderr.isatty():

        def lines(done: int, total: int | None) -> None:
            if done % 1000 == 0:
                click.echo(f"{done} items...", err=True)

        yield lines
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("converting: {task.completed:,.0f} items"), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=None) as bar:
        task = bar.add_task("convert", total=None)

        def draw(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield draw


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
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (and nothing else on standard output).")
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
    as_json: bool,
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

    options: dict[str, Any] = {
        "image_mode": image_mode,
        "strict": strict,
        "yolo_task": yolo_task,
        "voc_one_based": voc_boxes == "one-based",
    }
    if class_names is not None:
        options["classes"] = class_names
    if keypoint_names is not None:
        options["keypoint_names"] = keypoint_names
    try:
        with _progress(quiet) as progress:
            report = _run_conversion(pair, source, target, {**options, "progress": progress})
    except ConversionError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except OSError as exc:  # a target that is a file, a folder that cannot be created, a full disk
        from ._output import render_error

        click.echo(f"error: {render_error(exc)[0]}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted: the target was left as it was", err=True)
        sys.exit(130)
    if as_json:
        from ._output import echo_json

        echo_json(_report_data(report, target))
    else:
        _print_summary(report, target, quiet)
    if report.failures:
        sys.exit(1)


def _report_data(report: ConversionReport, target: Path) -> dict[str, Any]:
    return {
        "target": str(target),
        "converted": report.converted,
        "failures": [{"path": f.path, "reason": f.reason} for f in report.failures],
        "dropped": report.dropped,
        "adjusted": report.adjusted,
        "classes": report.classes,
    }


def _print_summary(report: ConversionReport, target: Path, quiet: bool) -> None:
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
