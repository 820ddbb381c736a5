"""Folder conversions stream: memory does not grow with the number of items, progress is reported per item."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from synapse_plugins.converters import (
    ConversionReport,
    convert_dm_to_coco,
    convert_dm_to_voc,
    convert_dm_to_yolo,
    convert_yolo_to_dm,
)
from synapse_plugins.converters.testing import make_dm_dataset

BOXES = [("bounding_box", f"class{k % 5}", [k, k, 10 + k, 12 + k]) for k in range(30)]  # ~3 KB of JSON per item


def peak_bytes(convert: Callable[[Path, Path], ConversionReport], source: Path, target: Path) -> int:
    tracemalloc.start()
    try:
        report = convert(source, target)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.ok
    return peak


@pytest.mark.parametrize(
    "convert",
    [
        lambda s, t: convert_dm_to_coco(s, t, image_mode="none"),
        lambda s, t: convert_dm_to_yolo(s, t, image_mode="none"),
        lambda s, t: convert_dm_to_voc(s, t, image_mode="none"),
    ],
    ids=["coco", "yolo", "voc"],
)
def test_memory_does_not_grow_with_the_number_of_items(tmp_path: Path, convert: Callable) -> None:
    # Both sizes exceed the writer's queue (64 pending writes), so either run may fill it: how full it is at the peak
    # depends on thread timing, and must not count as growth.
    make_dm_dataset(tmp_path / "small", {"train": {f"i{n:04d}": BOXES for n in range(80)}}, size=(200, 200))
    make_dm_dataset(tmp_path / "large", {"train": {f"i{n:04d}": BOXES for n in range(880)}}, size=(200, 200))
    convert(tmp_path / "small", tmp_path / "warm-up")  # lazy imports (yaml, threads) are not per-item memory
    small = peak_bytes(convert, tmp_path / "small", tmp_path / "out-small")
    large = peak_bytes(convert, tmp_path / "large", tmp_path / "out-large")
    # Holding an item's 30 boxes as Python objects costs over 15 KB; the output names kept to refuse collisions
    # (about 200 bytes an item) and the queue's timing (at most 64 files of about 9 KB, over 800 items) stay
    # well under 2 KB per item.
    assert (large - small) / 800 < 2048, f"peak grew from {small} to {large} bytes"


def test_progress_is_called_once_per_item_including_failures(tmp_path: Path) -> None:
    make_dm_dataset(tmp_path / "dm", {"train": {"a": [], "b": [("polygon", "x", [])]}, "valid": {"c": []}})
    seen: list[int] = []
    report = convert_dm_to_yolo(tmp_path / "dm", tmp_path / "yolo", progress=lambda done, total: seen.append(done))
    assert seen == [1, 2, 3]
    assert report.converted == 2
    assert len(report.failures) == 1
    seen.clear()
    convert_yolo_to_dm(
        tmp_path / "yolo", tmp_path / "back", image_mode="link", progress=lambda done, total: seen.append(done)
    )
    assert seen == [1, 2]
    linked = tmp_path / "back" / "train" / "original_files" / "a.png"
    assert linked.stat().st_ino == (tmp_path / "yolo" / "images" / "train" / "a.png").stat().st_ino
