"""Every pair of formats converts directly, and the direct path writes what going through a DM folder writes.

The datasets are generated: boxes, polygons, RLE masks, keypoint instances and crowd masks mixed in one image. For
each target, what the format can hold comes back and what it cannot is counted in the report.
"""

from __future__ import annotations

import itertools
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_plugins.cli import cli
from synapse_plugins.converters import FORMATS, ConversionError, convert_dataset, iter_dm_items, read_dm_item
from synapse_plugins.converters.testing import canonical_annotations, make_dm_dataset

WIDTH, HEIGHT = 40, 30
NON_DM = [f for f in FORMATS if f != "dm"]
class_names = st.sampled_from(["cat", "dog", "사람"])


@st.composite
def mixed_items(draw: st.DrawFn) -> dict[str, Any]:
    tools: dict[str, list[dict[str, Any]]] = {}
    counter = itertools.count(1)

    def add(tool: str, cls: str, data: object, attrs: list | None = None) -> str:
        ann_id = f"a{next(counter)}"
        tools.setdefault(tool, []).append({"id": ann_id, "classification": cls, "attrs": attrs or [], "data": data})
        return ann_id

    def box() -> list[int]:
        x, y = draw(st.integers(0, WIDTH - 2)), draw(st.integers(0, HEIGHT - 2))
        return [x, y, draw(st.integers(1, WIDTH - x)), draw(st.integers(1, HEIGHT - y))]

    for _ in range(draw(st.integers(0, 3))):
        add("bounding_box", draw(class_names), box())
    for _ in range(draw(st.integers(0, 2))):
        points = draw(
            st.lists(st.tuples(st.integers(0, WIDTH), st.integers(0, HEIGHT)).map(list), min_size=3, max_size=5)
        )
        add("polygon", draw(class_names), points)
    for _ in range(draw(st.integers(0, 2))):
        pixels = sorted(draw(st.sets(st.integers(0, WIDTH * HEIGHT - 1), min_size=1, max_size=20)))
        crowd = draw(st.booleans())
        add("segmentation", draw(class_names), pixels, [{"name": "iscrowd", "value": True}] if crowd else [])
    for _ in range(draw(st.integers(0, 1))):
        members = [add("bounding_box", "person", box())]
        for name in draw(st.lists(st.sampled_from(["head", "hand", "foot"]), min_size=1, max_size=3, unique=True)):
            members.append(add("keypoint", name, [draw(st.integers(0, WIDTH)), draw(st.integers(0, HEIGHT))]))
        add("group", "person", members, [{"name": "keypoint_names", "value": ["head", "hand", "foot"]}])
    return {"images": [tools]}


def extent(xs: list[float], ys: list[float]) -> list[float]:
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def held_by(data: dict[str, Any], fmt: str) -> dict[str, Any]:
    """The part of an item a format holds, in the form reading it back gives."""
    tools = data["images"][0]
    if fmt in ("dm", "coco"):
        return data
    boxes = [dict(b, attrs=[] if fmt == "yolo" else b["attrs"]) for b in tools.get("bounding_box", [])]
    if fmt == "voc":
        return {"images": [{"bounding_box": boxes}]}
    for p in tools.get("polygon", []):
        boxes.append({"classification": p["classification"], "attrs": [],
                      "data": extent([q[0] for q in p["data"]], [q[1] for q in p["data"]])})  # fmt: skip
    for m in tools.get("segmentation", []):
        xs, ys = [i % WIDTH for i in m["data"]], [i // WIDTH for i in m["data"]]
        x, y, w, h = extent(xs, ys)
        boxes.append({"classification": m["classification"], "attrs": [], "data": [x, y, w + 1, h + 1]})
    return {"images": [{"bounding_box": boxes}]}


def dropped_by(data: dict[str, Any], fmt: str) -> dict[str, int]:
    tools = data["images"][0]
    if fmt in ("dm", "coco"):
        return {}
    kept = {"bounding_box"} if fmt == "voc" else {"bounding_box", "polygon", "segmentation"}
    dropped = {t: len(a) for t, a in tools.items() if t not in kept and a}
    if fmt == "yolo" and any(a["attrs"] for t in kept for a in tools.get(t, [])):
        dropped["attributes"] = sum(1 for t in kept for a in tools.get(t, []) if a["attrs"])
    return dropped


def items_of(root: Path) -> dict[str, Any]:
    return {item.name: canonical_annotations(read_dm_item(item)) for item in iter_dm_items(root)}


@settings(max_examples=8, deadline=None)
@given(st.lists(mixed_items(), min_size=1, max_size=3))
def test_every_pair_converts_directly_and_agrees_with_the_way_through_dm(items: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_dm_dataset(root / "dm", {"train": {f"i{n}": d for n, d in enumerate(items)}}, size=(WIDTH, HEIGHT))
        for fmt in NON_DM:
            report = convert_dataset(root / "dm", root / fmt, source_format="dm", target_format=fmt)
            assert (report.converted, report.failures) == (len(items), [])
            want: dict[str, int] = {}
            for d in items:
                for tool, count in dropped_by(d, fmt).items():
                    want[tool] = want.get(tool, 0) + count
            assert report.dropped == want
            assert convert_dataset(root / fmt, root / f"{fmt}-dm", source_format=fmt, target_format="dm").ok
            back = items_of(root / f"{fmt}-dm")
            assert back == {f"i{n}": canonical_annotations(held_by(d, fmt)) for n, d in enumerate(items)}
        for source, target in itertools.permutations(NON_DM, 2):
            direct = root / f"{source}-{target}"
            assert convert_dataset(root / source, direct, source_format=source, target_format=target).ok
            # what the direct path wrote reads back as what the source held, as far as the target holds it
            convert_dataset(direct, root / f"{source}-{target}-dm", source_format=target, target_format="dm")
            via = root / f"{source}-dm-{target}"
            convert_dataset(root / f"{source}-dm", via, source_format="dm", target_format=target)
            convert_dataset(via, root / f"{source}-dm-{target}-dm", source_format=target, target_format="dm")
            assert items_of(root / f"{source}-{target}-dm") == items_of(root / f"{source}-dm-{target}-dm")


@pytest.mark.parametrize(("source", "target"), list(itertools.permutations(FORMATS, 2)))
def test_the_cli_converts_every_pair(tmp_path: Path, source: str, target: str) -> None:
    make_dm_dataset(tmp_path / "dm", {"train": {"a": [("bounding_box", "cat", [1, 2, 10, 8])]}}, size=(WIDTH, HEIGHT))
    if source != "dm":
        assert convert_dataset(tmp_path / "dm", tmp_path / "src", source_format="dm", target_format=source).ok
    src = tmp_path / ("dm" if source == "dm" else "src")
    result = CliRunner().invoke(cli, ["convert", "--from", source, "--to", target, str(src), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "converted 1 items" in result.output
    convert_dataset(
        tmp_path / "out", tmp_path / "back", source_format=target, target_format="dm"
    ) if target != "dm" else None
    back = tmp_path / ("out" if target == "dm" else "back")
    (item,) = list(iter_dm_items(back))
    assert read_dm_item(item)["images"][0]["bounding_box"][0]["data"] == pytest.approx([1, 2, 10, 8], abs=1e-6)


def test_the_cli_yolo_task_and_voc_boxes_options(tmp_path: Path) -> None:
    spec = {"train": {"a": [("polygon", "road", [[0, 0], [20, 0], [20, 10]]), ("bounding_box", "car", [0, 0, 4, 4])]}}
    make_dm_dataset(tmp_path / "dm", spec, size=(WIDTH, HEIGHT))
    result = CliRunner().invoke(cli, ["convert", "--from", "dm", "--to", "yolo", "--yolo-task", "segment",
                                      str(tmp_path / "dm"), str(tmp_path / "seg")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "written in another form: box_as_polygon 1" in result.output
    lines = (tmp_path / "seg" / "labels" / "train" / "a.txt").read_text().splitlines()
    assert all(len(line.split()) > 6 for line in lines)
    result = CliRunner().invoke(cli, ["convert", "--from", "dm", "--to", "voc", "--voc-boxes", "unshifted",
                                      str(tmp_path / "dm"), str(tmp_path / "voc")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "<xmin>0</xmin>" in (tmp_path / "voc" / "Annotations" / "a.xml").read_text()


def test_options_that_the_target_does_not_take_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConversionError, match="classes apply to a COCO or YOLO target only"):
        convert_dataset(tmp_path, tmp_path / "o", source_format="coco", target_format="voc", classes=["a"])
    with pytest.raises(ConversionError, match="source and target formats must differ"):
        convert_dataset(tmp_path, tmp_path / "o", source_format="yolo", target_format="yolo")
    assert not (tmp_path / "o").exists()


def test_a_yolo_source_keeps_its_class_indices_in_coco(tmp_path: Path) -> None:
    make_dm_dataset(tmp_path / "dm", {"train": {"a": [("bounding_box", "dog", [1, 2, 10, 8])]}}, size=(WIDTH, HEIGHT))
    convert_dataset(
        tmp_path / "dm", tmp_path / "yolo", source_format="dm", target_format="yolo", classes=["cat", "dog"]
    )
    report = convert_dataset(tmp_path / "yolo", tmp_path / "coco", source_format="yolo", target_format="coco")
    assert report.classes == ["cat", "dog"]
    content = json.loads((tmp_path / "coco" / "annotations" / "instances_train.json").read_text())
    assert [a["category_id"] for a in content["annotations"]] == [2]
