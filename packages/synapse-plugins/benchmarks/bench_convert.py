"""Every pair of DM, COCO, Pascal VOC and YOLO: time and peak memory of ours against globox and datumaro.

Usage: python packages/synapse-plugins/benchmarks/bench_convert.py [--quick] [--images N] [--boxes-per-image K]
       [--pairs coco-yolo,dm-voc,...] [--peers globox,datumaro]

A DM dataset of 10 000 images with 10 boxes each (100 000 boxes; 1 000 images with --quick) is generated in a temp
folder: one JSON file and one small 640x480 PNG per item, 8 classes, train and valid splits. Our converter then
writes the same data as COCO, Pascal VOC and YOLO (not timed), so every format has a source. Each conversion runs in a
fresh Python process so time and memory are its own, annotations only (no image copies) for every tool:

- ours: ``convert_dataset(source, target, source_format=..., target_format=..., image_mode="none")``, one pass with
  DM records in memory;
- globox: ``AnnotationSet.from_coco`` / ``from_yolo_v5`` (+ ``map_labels``) / ``from_pascal_voc``, then
  ``save_coco(auto_ids=True)`` / ``save_yolo_v5`` / ``save_pascal_voc``; DM, which globox does not know, is read or
  written the way a user would write it (``json`` per item, the image size from globox's ``get_image_size``);
- datumaro: ``Dataset.import_from(path, "coco_instances" | "voc_detection" | "yolo")`` and
  ``export(path, "coco_instances" | "voc_detection" | "yolo_ultralytics", save_media=False)``; DM is read into
  ``Dataset.from_iterable`` (the image size from the PNG header with Pillow) or written item by item.

A run counts only when it wrote every box (a tool that skips items is shown as n/a). Peak memory is the worker's peak
RSS minus its RSS after imports (``ru_maxrss``). Every tool runs ``--repeat`` times (3), interleaved, and its fastest
run counts: the machines this runs on are shared and noisy. Ours also converts a
dataset one tenth the size, to show that its memory does not grow with the number of images. Ratios are peer / ours:
above 1 means ours is faster or smaller. Datumaro and globox are installed in the ``bench`` nox session only. The temp
folder is deleted at the end.
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
FORMATS = ("dm", "coco", "voc", "yolo")
SPLITS = {"train": "train", "valid": "val"}  # DM split -> the external name
DATUMARO_IMPORT = {"coco": "coco_instances", "voc": "voc_detection", "yolo": "yolo"}
DATUMARO_EXPORT = {"coco": "coco_instances", "voc": "voc_detection", "yolo": "yolo_ultralytics"}


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


def make_sources(root: Path) -> None:
    """Write the DM dataset as COCO, VOC and YOLO with images, so every reader has its images to size."""
    from synapse_plugins.converters import convert_dataset

    for fmt in ("coco", "voc", "yolo"):
        classes = CLASSES if fmt in ("coco", "yolo") else None
        report = convert_dataset(root / "dm", root / fmt, source_format="dm", target_format=fmt, classes=classes,
                                 image_mode="link")  # fmt: skip
        if not report.ok:
            raise SystemExit(f"making the {fmt} source failed: {report.failures[:3]}")


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- ours ---------------------------------------------------------------------------------------------------------


def run_ours(source_format: str, target_format: str, source: Path, target: Path) -> None:
    from synapse_plugins.converters import convert_dataset

    classes = CLASSES if target_format in ("coco", "yolo") and source_format != "yolo" else None
    report = convert_dataset(source, target, source_format=source_format, target_format=target_format,  # type: ignore[arg-type]
                             classes=classes, image_mode="none")  # fmt: skip
    if not report.ok:
        raise SystemExit(f"ours failed: {report.failures[:3]}")


# --- globox -------------------------------------------------------------------------------------------------------


def _globox_read(fmt: str, source: Path) -> dict[str, Any]:
    from globox import Annotation, AnnotationSet, BoundingBox, BoxFormat
    from globox.image_utils import get_image_size

    sets: dict[str, Any] = {}
    if fmt == "dm":
        for split in SPLITS:
            annotations = AnnotationSet()
            for json_path in sorted((source / split / "json").glob("*.json")):
                image = source / split / "original_files" / f"{json_path.stem}.png"
                data = json.loads(json_path.read_text(encoding="utf-8"))
                annotation = Annotation(image.name, get_image_size(image))
                for box in data["images"][0].get("bounding_box", []):
                    annotation.add(BoundingBox.create(label=box["classification"], coords=box["data"],
                                                      box_format=BoxFormat.LTWH))  # fmt: skip
                annotations.add(annotation)
            sets[split] = annotations
    elif fmt == "coco":
        for split, external in SPLITS.items():
            sets[split] = AnnotationSet.from_coco(source / "annotations" / f"instances_{external}.json")
    elif fmt == "yolo":
        for split, external in SPLITS.items():
            found = AnnotationSet.from_yolo_v5(source / "labels" / external, image_folder=source / "images" / external,
                                               image_extension=".png")  # fmt: skip
            sets[split] = found.map_labels({str(i): name for i, name in enumerate(CLASSES)})
    else:  # voc: one folder of annotation files for every split
        sets["train"] = AnnotationSet.from_pascal_voc(source / "Annotations")
    return sets


def _globox_write(fmt: str, sets: dict[str, Any], target: Path) -> None:
    target.mkdir(parents=True)
    for split, found in sets.items():
        external = SPLITS[split]
        if fmt == "coco":
            (target / "annotations").mkdir(exist_ok=True)
            found.save_coco(target / "annotations" / f"instances_{external}.json", auto_ids=True)
        elif fmt == "yolo":
            (target / "labels").mkdir(exist_ok=True)
            found.save_yolo_v5(target / "labels" / external, label_to_id={c: i for i, c in enumerate(CLASSES)})
        elif fmt == "voc":
            found.save_pascal_voc(target / "Annotations")
        else:
            (target / split / "json").mkdir(parents=True)
            for annotation in found:
                boxes = [{"id": f"b{k}", "classification": b.label, "attrs": [], "data": list(b.ltwh)}
                         for k, b in enumerate(annotation.boxes)]  # fmt: skip
                item = {"classification": {"bounding_box": sorted({b["classification"] for b in boxes})},
                        "images": [{"bounding_box": boxes}]}  # fmt: skip
                stem = Path(annotation.image_id).stem
                (target / split / "json" / f"{stem}.json").write_text(json.dumps(item), encoding="utf-8")


def run_globox(source_format: str, target_format: str, source: Path, target: Path) -> None:
    _globox_write(target_format, _globox_read(source_format, source), target)


# --- datumaro -----------------------------------------------------------------------------------------------------


def _datumaro_read_dm(source: Path) -> Any:
    from datumaro.components.annotation import AnnotationType, Bbox, LabelCategories
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image
    from PIL import Image as PILImage

    index = {name: i for i, name in enumerate(CLASSES)}

    def items() -> Any:
        for split, external in SPLITS.items():
            for json_path in sorted((source / split / "json").glob("*.json")):
                image = source / split / "original_files" / f"{json_path.stem}.png"
                with PILImage.open(image) as opened:
                    width, height = opened.size
                data = json.loads(json_path.read_text(encoding="utf-8"))
                boxes = [Bbox(*b["data"], label=index[b["classification"]])
                         for b in data["images"][0].get("bounding_box", [])]  # fmt: skip
                media = Image.from_file(path=str(image), size=(height, width))
                yield DatasetItem(id=json_path.stem, subset=external, media=media, annotations=boxes)

    # A list, not the generator: datumaro walks the source more than once and would export nothing the second time.
    categories = {AnnotationType.label: LabelCategories.from_iterable(CLASSES)}
    return Dataset.from_iterable(list(items()), categories=categories)


def _datumaro_write_dm(dataset: Any, target: Path) -> None:
    from datumaro.components.annotation import AnnotationType

    names = [c.name for c in dataset.categories()[AnnotationType.label]]
    for item in dataset:
        split = "valid" if item.subset in ("val", "valid") else "train"
        folder = target / split / "json"
        folder.mkdir(parents=True, exist_ok=True)
        boxes = [{"id": f"b{k}", "classification": names[a.label], "attrs": [], "data": list(a.get_bbox())}
                 for k, a in enumerate(item.annotations) if a.type == AnnotationType.bbox]  # fmt: skip
        data = {"classification": {"bounding_box": sorted({b["classification"] for b in boxes})},
                "images": [{"bounding_box": boxes}]}  # fmt: skip
        (folder / f"{Path(item.id).name}.json").write_text(json.dumps(data), encoding="utf-8")


def run_datumaro(source_format: str, target_format: str, source: Path, target: Path) -> None:
    from datumaro.components.dataset import Dataset

    if source_format == "dm":
        dataset = _datumaro_read_dm(source)
    else:
        dataset = Dataset.import_from(str(source), DATUMARO_IMPORT[source_format])
    if target_format == "dm":
        _datumaro_write_dm(dataset, target)
    else:
        dataset.export(str(target), DATUMARO_EXPORT[target_format], save_media=False)


# --- driver -------------------------------------------------------------------------------------------------------


def count_boxes(fmt: str, root: Path) -> int:
    """How many boxes a conversion wrote: every tool must write all of them for its time to count."""
    if fmt == "coco":
        return sum(len(json.loads(p.read_text(encoding="utf-8"))["annotations"]) for p in root.rglob("*.json"))
    if fmt == "yolo":
        return sum(1 for p in root.rglob("*.txt") if "labels" in p.parts for line in p.read_text().splitlines() if line)
    if fmt == "voc":
        return sum(p.read_text(encoding="utf-8").count("<object>") for p in root.rglob("*.xml"))
    return sum(
        len(json.loads(p.read_text(encoding="utf-8"))["images"][0].get("bounding_box", []))
        for p in root.rglob("*.json")
    )


RUNNERS = {"ours": run_ours, "globox": run_globox, "datumaro": run_datumaro}


def worker(tool: str, source_format: str, target_format: str, source: Path, target: Path) -> None:
    import logging

    logging.disable(logging.WARNING)  # datumaro warns per item about the images it does not copy
    if tool == "globox":
        import globox  # noqa: F401
    elif tool == "datumaro":
        import datumaro.components.dataset  # noqa: F401
    import synapse_plugins.converters  # noqa: F401

    baseline = rss_mib()
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    RUNNERS[tool](source_format, target_format, source, target)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    peak = rss_mib() - baseline
    print(json.dumps({"seconds": elapsed, "cpu": cpu, "peak_mib": peak, "boxes": count_boxes(target_format, target)}))


def measure(tool: str, pair: tuple[str, str], source: Path, target: Path, expected: int) -> dict[str, Any] | None:
    # Every run starts with no dirty pages (the generated dataset, the previous run's output): ours flushes what it
    # wrote with one os.sync at the end, and must not pay for flushing what others wrote before it.
    os.sync()
    out = subprocess.run(
        [sys.executable, __file__, "--worker", tool, *pair, str(source), str(target)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    shutil.rmtree(target, ignore_errors=True)
    if out.returncode:
        print(f"{tool} {pair[0]} -> {pair[1]} failed: {out.stderr.strip()[-600:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["boxes"] != expected:
        print(
            f"{tool} {pair[0]} -> {pair[1]} wrote {result['boxes']} of {expected} boxes: not counted", file=sys.stderr
        )
        return None
    return result


def _best(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not runs:
        return None
    return {key: min(r[key] for r in runs) for key in ("seconds", "cpu", "peak_mib")}


def _peer_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _cell(peer: dict[str, Any] | None, ours: dict[str, Any], key: str) -> tuple[str, str]:
    if peer is None:
        return "n/a", "n/a"
    floor = 0.1 if key == "peak_mib" else 1e-9
    return f"{peer[key]:.1f}" if key == "peak_mib" else f"{peer[key]:.2f}", f"{peer[key] / max(ours[key], floor):.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 000 images / 10 000 boxes")
    parser.add_argument("--images", type=int, help="number of images (default 10 000, 1 000 with --quick)")
    parser.add_argument("--boxes-per-image", type=int, default=10)
    parser.add_argument("--pairs", help="comma-separated source-target pairs (default: all 12)")
    parser.add_argument("--peers", default="globox,datumaro", help="comma-separated peers to run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool and pair, interleaved; the fastest counts")
    parser.add_argument("--worker", nargs=5, metavar=("TOOL", "FROM", "TO", "SOURCE", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        tool, source_format, target_format, source, target = args.worker
        worker(tool, source_format, target_format, Path(source), Path(target))
        return
    images = args.images or (1_000 if args.quick else 10_000)
    pairs = [(a, b) for a in FORMATS for b in FORMATS if a != b]
    if args.pairs:
        pairs = [tuple(p.split("-", 1)) for p in args.pairs.split(",")]  # type: ignore[misc]
    peers = [p for p in args.peers.split(",") if p]
    missing = [p for p in peers if not _peer_available(p)]
    for name in missing:
        print(f"{name} is not installed here: its columns are n/a", file=sys.stderr)
    peers = [p for p in peers if p not in missing]
    rows = []
    boxes = images * args.boxes_per_image
    small_boxes = max(images // 10, 1) * args.boxes_per_image
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as folder:
        root = Path(folder)
        make_dataset(root / "big" / "dm", images, args.boxes_per_image)
        make_dataset(root / "small" / "dm", max(images // 10, 1), args.boxes_per_image)
        make_sources(root / "big")
        make_sources(root / "small")
        for pair in pairs:
            source = root / "big" / pair[0]
            runs: dict[str, list[dict[str, Any]]] = {tool: [] for tool in ("ours", *peers)}
            for _ in range(max(args.repeat, 1)):  # interleaved, so a busy moment on a shared machine hits every tool
                for tool, found in runs.items():
                    result = measure(tool, pair, source, root / "out", boxes)
                    if result is not None:
                        found.append(result)
            if not runs["ours"]:
                raise SystemExit(f"ours failed on {pair[0]} -> {pair[1]}")
            best = {tool: _best(found) for tool, found in runs.items()}
            small = measure("ours", pair, root / "small" / pair[0], root / "out", small_boxes)
            rows.append((pair, best["ours"], {p: best[p] for p in peers}, small))
    print(f"## Every format pair, {images} images, {boxes} boxes "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} cpus)")  # fmt: skip
    print()
    print("Wall seconds decide; CPU seconds (user + system, all threads) are shown because a loaded machine stretches "
          "wall time.")  # fmt: skip
    print()
    print("| conversion | ours s | globox s | speed vs globox | datumaro s | speed vs datumaro "
          "| CPU vs globox | CPU vs datumaro | ours peak MiB | globox peak MiB | datumaro peak MiB "
          "| ours peak MiB at 1/10 size |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (a, b), ours, theirs, small in rows:
        g_s, g_ratio = _cell(theirs.get("globox"), ours, "seconds")
        d_s, d_ratio = _cell(theirs.get("datumaro"), ours, "seconds")
        _, g_cpu = _cell(theirs.get("globox"), ours, "cpu")
        _, d_cpu = _cell(theirs.get("datumaro"), ours, "cpu")
        g_m, _ = _cell(theirs.get("globox"), ours, "peak_mib")
        d_m, _ = _cell(theirs.get("datumaro"), ours, "peak_mib")
        small_mib = f"{small['peak_mib']:.1f}" if small else "n/a"
        print(f"| {a.upper()} -> {b.upper()} | {ours['seconds']:.2f} | {g_s} | {g_ratio} | {d_s} | {d_ratio} "
              f"| {g_cpu} | {d_cpu} | {ours['peak_mib']:.1f} | {g_m} | {d_m} | {small_mib} |")  # fmt: skip


if __name__ == "__main__":
    main()
