"""DM -> COCO and DM -> YOLO: time and peak memory of synapse_plugins.converters against globox on the same data.

Usage: python packages/synapse-plugins/benchmarks/bench_convert.py [--quick] [--images N] [--boxes-per-image K]

A DM dataset of 10 000 images with 10 boxes each (100 000 boxes; 1 000 / 10 000 with --quick) is generated in a temp
folder: one JSON file and one small 640x480 PNG per item, 8 classes. Each converter then runs in a fresh Python
process so time and memory are its own:

- ours: ``convert_dm_to_coco`` / ``convert_dm_to_yolo`` with ``image_mode="none"`` (annotations only, as the peer);
- globox: what a user writes with globox instead: read each DM JSON, read the image size from its header with
  ``globox.image_utils.get_image_size``, build an ``AnnotationSet``, then ``save_coco(auto_ids=True)`` or
  ``save_yolo_darknet(label_to_id=...)``.

Peak memory is the worker's peak RSS minus its RSS after imports (``ru_maxrss``). The run also converts a dataset
one tenth the size with ours, to show that our memory does not grow with the number of images. Ratios are
globox / ours: above 1 means ours is faster or smaller. The temp folder is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CLASSES = ["car", "person", "bicycle", "dog", "cat", "truck", "bus", "고양이"]
WIDTH, HEIGHT = 640, 480


def make_dataset(root: Path, images: int, boxes_per_image: int) -> None:
    from synapse_plugins.converters.testing import png_bytes

    png = png_bytes(WIDTH, HEIGHT)
    splits = {"train": int(images * 0.8), "valid": images - int(images * 0.8)}
    n = 0
    for split, count in splits.items():
        (root / split / "json").mkdir(parents=True)
        (root / split / "original_files").mkdir(parents=True)
        for _ in range(count):
            boxes = []
            for k in range(boxes_per_image):
                x, y = (n * 7 + k * 37) % (WIDTH - 60), (n * 5 + k * 23) % (HEIGHT - 60)
                box = [x + 0.5, y + 0.25, 20 + (n + k) % 40, 15 + (n * k) % 45]
                boxes.append(
                    {"id": f"b{k}", "classification": CLASSES[(n + k) % len(CLASSES)], "attrs": [], "data": box}
                )
            item = {"classification": {"bounding_box": sorted({b["classification"] for b in boxes})},
                    "images": [{"bounding_box": boxes}]}  # fmt: skip
            (root / split / "json" / f"img{n:06d}.json").write_text(json.dumps(item), encoding="utf-8")
            (root / split / "original_files" / f"img{n:06d}.png").write_bytes(png)
            n += 1


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_ours(task: str, source: Path, target: Path) -> None:
    from synapse_plugins.converters import convert_dm_to_coco, convert_dm_to_yolo

    if task == "coco":
        report = convert_dm_to_coco(source, target, classes=CLASSES, image_mode="none")
    else:
        report = convert_dm_to_yolo(source, target, classes=CLASSES, image_mode="none")
    if not report.ok:
        raise SystemExit(f"ours failed: {report.failures[:3]}")


def run_globox(task: str, source: Path, target: Path) -> None:
    from globox import Annotation, AnnotationSet, BoundingBox, BoxFormat
    from globox.image_utils import get_image_size

    target.mkdir(parents=True)
    for split in ("train", "valid"):
        annotations = AnnotationSet()
        for json_path in sorted((source / split / "json").glob("*.json")):
            image = source / split / "original_files" / f"{json_path.stem}.png"
            data = json.loads(json_path.read_text(encoding="utf-8"))
            annotation = Annotation(image.name, get_image_size(image))
            for box in data["images"][0].get("bounding_box", []):
                annotation.add(BoundingBox.create(label=box["classification"], coords=box["data"],
                                                  box_format=BoxFormat.LTWH))  # fmt: skip
            annotations.add(annotation)
        if task == "coco":
            annotations.save_coco(target / f"instances_{split}.json", auto_ids=True)
        else:
            annotations.save_yolo_darknet(target / split, label_to_id={c: i for i, c in enumerate(CLASSES)})


def worker(tool: str, task: str, source: Path, target: Path) -> None:
    run = run_ours if tool == "ours" else run_globox
    import globox  # noqa: F401  - both workers pay the same import cost before the baseline

    import synapse_plugins.converters  # noqa: F401

    baseline = rss_mib()
    start = time.perf_counter()
    run(task, source, target)
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "peak_mib": rss_mib() - baseline}))


def measure(tool: str, task: str, source: Path, target: Path) -> dict[str, Any]:
    # Every run starts with no dirty pages (the generated dataset, the previous run's output): ours flushes what it
    # wrote with one os.sync at the end, and must not pay for flushing what others wrote before it.
    os.sync()
    out = subprocess.run(
        [sys.executable, __file__, "--worker", tool, task, str(source), str(target)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    shutil.rmtree(target, ignore_errors=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 000 images / 10 000 boxes")
    parser.add_argument("--images", type=int, help="number of images (default 10 000, 1 000 with --quick)")
    parser.add_argument("--boxes-per-image", type=int, default=10)
    parser.add_argument("--worker", nargs=4, metavar=("TOOL", "TASK", "SOURCE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        tool, task, source, target = args.worker
        worker(tool, task, Path(source), Path(target))
        return
    images = args.images or (1_000 if args.quick else 10_000)
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as folder:
        root = Path(folder)
        make_dataset(root / "dm", images, args.boxes_per_image)
        make_dataset(root / "dm-small", max(images // 10, 1), args.boxes_per_image)
        rows = []
        for task in ("coco", "yolo"):
            ours = measure("ours", task, root / "dm", root / "out")
            theirs = measure("globox", task, root / "dm", root / "out")
            small = measure("ours", task, root / "dm-small", root / "out")
            rows.append((task, ours, theirs, small))
    boxes = images * args.boxes_per_image
    print(
        f"## DM -> COCO / YOLO, {images} images, {boxes} boxes (python {sys.version.split()[0]}, {os.cpu_count()} cpus)"
    )
    print()
    print("| conversion | ours s | globox s | speed ratio (globox/ours) | ours peak MiB | globox peak MiB "
          "| memory ratio (globox/ours) | ours peak MiB at 1/10 size |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for task, ours, theirs, small in rows:
        print(
            f"| DM -> {task.upper()} | {ours['seconds']:.2f} | {theirs['seconds']:.2f} "
            f"| {theirs['seconds'] / ours['seconds']:.2f}x | {ours['peak_mib']:.1f} | {theirs['peak_mib']:.1f} "
            f"| {theirs['peak_mib'] / max(ours['peak_mib'], 0.1):.1f}x | {small['peak_mib']:.1f} |"
        )


if __name__ == "__main__":
    main()
