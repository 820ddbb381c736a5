"""DM <-> YOLO: datumaro's YOLO samples import, detection labels match globox's on the same input, round trips hold."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from globox import AnnotationSet
from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_plugins.converters import (
    ClassIndex,
    ConversionError,
    ItemError,
    LayoutError,
    convert_coco_to_dm,
    convert_dm_to_yolo,
    convert_yolo_to_dm,
    dm_to_yolo_lines,
    yolo_lines_to_dm,
)
from synapse_plugins.converters.testing import canonical_annotations, make_dm_dataset, png_bytes
from synapse_testkit.ultralytics_labels import read_labels

CORPUS = Path(__file__).parent / "data" / "datumaro" / "yolo_dataset"


def corpus(name: str) -> Path:
    path = CORPUS / name
    assert path.is_dir(), f"sample dataset missing at {path} (vendored under tests/data/datumaro)"
    return path


def load_item(root: Path, split: str | None, name: str) -> dict:
    base = root / split if split else root
    return json.loads((base / "json" / f"{name}.json").read_text(encoding="utf-8"))


def parse_labels(text: str) -> list[tuple[int, tuple[float, ...]]]:
    return sorted(
        (int(p[0]), tuple(float(v) for v in p[1:])) for p in (line.split() for line in text.splitlines()) if p
    )


def assert_same_labels(ours: str, theirs: str) -> None:
    a, b = parse_labels(ours), parse_labels(theirs)
    assert [c for c, _ in a] == [c for c, _ in b]
    for (_, x), (_, y) in zip(a, b, strict=True):
        assert x == pytest.approx(y, abs=1e-6)


# --- importing datumaro's samples ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("sample", "splits"), [("labels", ["train", "valid"]), ("strict", ["train"])])
def test_datumaro_samples_import_with_their_class_names(tmp_path: Path, sample: str, splits: list[str]) -> None:
    report = convert_yolo_to_dm(corpus(sample), tmp_path / "dm")
    assert report.ok
    assert report.converted == len(splits)
    assert report.classes == [f"label_{i}" for i in range(10)]
    for split in splits:
        boxes = load_item(tmp_path / "dm", split, "1")["images"][0]["bounding_box"]
        # "2 0.133333 0.300000 0.266667 0.200000" on a 15x10 image
        assert boxes[0]["classification"] == "label_2"
        assert boxes[0]["data"] == pytest.approx([0.0, 2.0, 4.0, 2.0], abs=1e-4)
        assert boxes[1]["classification"] == "label_4"
        assert boxes[1]["data"] == pytest.approx([3.0, 3.0, 2.0, 3.0], abs=1e-4)


def test_datumaro_sample_exports_back_with_the_same_indices_when_classes_are_given(tmp_path: Path) -> None:
    imported = convert_yolo_to_dm(corpus("labels"), tmp_path / "dm")
    report = convert_dm_to_yolo(tmp_path / "dm", tmp_path / "yolo", classes=imported.classes)
    assert report.ok
    assert report.dropped == {}
    for split, external in (("train", "train"), ("val", "val")):
        original = (corpus("labels") / "labels" / split / "1.txt").read_text()
        assert_same_labels((tmp_path / "yolo" / "labels" / external / "1.txt").read_text(), original)
    config = yaml.safe_load((tmp_path / "yolo" / "dataset.yaml").read_text())
    assert config["names"] == {i: f"label_{i}" for i in range(10)}
    assert config["train"] == "images/train"
    assert config["val"] == "images/val"


# --- the peer: globox reads the same COCO input and writes YOLO ---------------------------------------------------


def test_detection_labels_match_globox_on_the_same_input(tmp_path: Path) -> None:
    (tmp_path / "coco" / "annotations").mkdir(parents=True)
    images_dir = tmp_path / "coco" / "images" / "train"
    images_dir.mkdir(parents=True)
    categories = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}, {"id": 3, "name": "사람"}]
    images, annotations = [], []
    sizes = [(64, 48), (100, 30), (17, 91)]
    for n, (width, height) in enumerate(sizes, start=1):
        images.append({"id": n, "file_name": f"img{n}.png", "width": width, "height": height})
        (images_dir / f"img{n}.png").write_bytes(png_bytes(width, height))
        for k in range(4):
            x, y = (k * 3.25) % (width / 2), (k * 2.5) % (height / 2)
            box = [x, y, width / 2 - 1.5 + k * 0.125, height / 3 + k]
            annotations.append({"id": len(annotations) + 1, "image_id": n, "category_id": 1 + (n + k) % 3,
                                "bbox": box, "area": box[2] * box[3], "segmentation": [], "iscrowd": 0})  # fmt: skip
    coco_file = tmp_path / "coco" / "annotations" / "instances_train.json"
    coco_file.write_text(json.dumps({"images": images, "annotations": annotations, "categories": categories}))

    convert_coco_to_dm(tmp_path / "coco", tmp_path / "dm")
    report = convert_dm_to_yolo(tmp_path / "dm", tmp_path / "ours", classes=["cat", "dog", "사람"])
    assert report.ok
    assert report.dropped == {}

    peer = AnnotationSet.from_coco(coco_file)
    peer.save_yolo_darknet(tmp_path / "theirs", label_to_id={"cat": 0, "dog": 1, "사람": 2})
    for n in range(1, len(sizes) + 1):
        ours = (tmp_path / "ours" / "labels" / "train" / f"img{n}.txt").read_text()
        theirs = (tmp_path / "theirs" / f"img{n}.txt").read_text()
        assert_same_labels(ours, theirs)


# --- segmentation, pose, clipping ---------------------------------------------------------------------------------


def test_polygons_become_segmentation_lines() -> None:
    data = {"images": [{"polygon": [{"classification": "road", "data": [[0, 0], [32, 0], [32, 24], [0, 24]]}]}]}
    result = dm_to_yolo_lines(data, width=64, height=48, classes=ClassIndex(), task="segment")
    assert result.lines == ["0 0 0 0.5 0 0.5 0.5 0 0.5"]
    assert result.adjusted == {}


MIXED = {
    "images": [
        {
            "bounding_box": [
                {"classification": "car", "data": [8, 8, 16, 12]},
                {"classification": "car", "data": [40, 4, 10, 20]},
            ],
            "polygon": [{"classification": "road", "data": [[0, 30], [32, 30], [16, 46]]}],
        }
    ]
}


@pytest.mark.parametrize("task", ["detect", "segment"])
def test_a_label_file_holds_one_kind_and_ultralytics_reads_every_box_right(tmp_path: Path, task: str) -> None:
    make_dm_dataset(tmp_path / "dm", {"train": {"a": MIXED}}, size=(64, 48))
    report = convert_dm_to_yolo(tmp_path / "dm", tmp_path / "yolo", task=task)
    assert report.ok
    text = (tmp_path / "yolo" / "labels" / "train" / "a.txt").read_text()
    lengths = {len(line.split()) for line in text.splitlines()}
    labels = read_labels(text)
    boxes = sorted(labels.boxes)
    if task == "detect":
        assert lengths == {5}
        assert labels.segments is None
        assert report.adjusted == {"polygon_as_box": 1}
    else:
        assert min(lengths) > 6
        assert labels.segments is not None
        assert report.adjusted == {"box_as_polygon": 2}
    # whatever the kind, the boxes a trainer derives are the DM boxes and the polygon's extent
    expected = sorted([(0, 16 / 64, 14 / 48, 16 / 64, 12 / 48), (0, 45 / 64, 14 / 48, 10 / 64, 20 / 48),
                       (1, 16 / 64, 38 / 48, 32 / 64, 16 / 48)])  # fmt: skip
    for got, want in zip(boxes, expected, strict=True):
        assert got[0] == want[0]
        assert got[1:] == pytest.approx(want[1:], abs=1e-9)


def test_the_task_is_checked_and_masks_become_boxes_in_a_detect_dataset() -> None:
    with pytest.raises(ConversionError, match="detect' or 'segment"):
        dm_to_yolo_lines(MIXED, width=64, height=48, classes=ClassIndex(), task="pose")  # type: ignore[arg-type]
    data = {"images": [{"segmentation": [{"classification": "sky", "data": [0, 1, 64, 65]}]}]}
    result = dm_to_yolo_lines(data, width=64, height=48, classes=ClassIndex())
    assert result.lines == ["0 0.015625 0.0208333333 0.03125 0.0416666667"]
    assert result.adjusted == {"mask_as_box": 1}
    segment = dm_to_yolo_lines(data, width=64, height=48, classes=ClassIndex(), task="segment")
    assert (segment.lines, segment.dropped) == ([], {"segmentation": 1})


def make_yolo(root: Path, config: str | bytes, labels: dict[str, bytes]) -> None:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "dataset.yaml").write_bytes(config.encode() if isinstance(config, str) else config)
    for name, text in labels.items():
        (root / "images" / "train" / f"{name}.png").write_bytes(png_bytes(8, 8))
        (root / "labels" / "train" / f"{name}.txt").write_bytes(text)


def test_bad_label_files_fail_alone_in_a_lenient_run(tmp_path: Path) -> None:
    make_yolo(tmp_path / "yolo", "names: [a, b]\n", {
        "good": b"1 0.5 0.5 0.2 0.2\n",
        "unicode_digit": "\u00b2 0.5 0.5 0.2 0.2\n".encode(),
        "arabic_digit": "0 \u0660.5 0.5 0.2 0.2\n".encode(),
        "latin1": b"0 0.5 0.5 0.2 0.2 # caf\xe9\n",
        "huge": b"0 1e400 0.5 0.2 0.2\n",
    })  # fmt: skip
    report = convert_yolo_to_dm(tmp_path / "yolo", tmp_path / "dm")
    assert report.converted == 1
    failures = {f.path.rsplit("/", 1)[1]: f.reason for f in report.failures}
    assert set(failures) == {"unicode_digit.png", "arabic_digit.png", "latin1.png", "huge.png"}
    assert "not a non-negative integer" in failures["unicode_digit.png"]
    assert "ASCII digits" in failures["arabic_digit.png"]
    assert "not UTF-8" in failures["latin1.png"]
    assert "not a finite number" in failures["huge.png"]
    with pytest.raises(ItemError):
        convert_yolo_to_dm(tmp_path / "yolo", tmp_path / "dm2", strict=True)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("names: {0: a, x: b}\n", "not a non-negative integer"),
        ("names: [[a, b], c]\n", "class names must be strings"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "names: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
            "class names must be strings",
        ),
        ("names: [a]\nkpt_shape: [10000000, 3]\n", "kpt_shape must be"),
        ("names: [a]\nkpt_shape: [3, 7]\n", "kpt_shape must be"),
        ("names: 5\n", "no 'names'"),
        (b"names: [caf\xe9]\n", "not UTF-8"),
        ("[" * 5000 + "]" * 5000, "not valid YAML"),
    ],
)
def test_a_bad_dataset_yaml_is_a_layout_error_before_anything_is_allocated(
    tmp_path: Path, config: str | bytes, message: str
) -> None:
    make_yolo(tmp_path / "yolo", config, {"a": b""})
    with pytest.raises(LayoutError, match=message):
        convert_yolo_to_dm(tmp_path / "yolo", tmp_path / "dm")
    assert not (tmp_path / "dm").exists()


def test_a_darknet_folder_or_split_that_climbs_out_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "yolo"
    (root / "obj_.._data").mkdir(parents=True)
    (root / "obj.names").write_text("a\n")
    (root / "obj_.._data" / "x.png").write_bytes(png_bytes(8, 8))
    (root / "obj_.._data" / "x.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    with pytest.raises(LayoutError, match="split name"):
        convert_yolo_to_dm(root, tmp_path / "out" / "dm")
    assert not (tmp_path / "out").exists()


def test_images_in_sub_folders_keep_their_folder_as_their_identity(tmp_path: Path) -> None:
    make_yolo(tmp_path / "yolo", "names: [a]\n", {})
    for folder, line in (("x", b"0 0.5 0.5 0.5 0.5\n"), ("y", b"0 0.25 0.25 0.5 0.5\n")):
        (tmp_path / "yolo" / "images" / "train" / folder).mkdir()
        (tmp_path / "yolo" / "labels" / "train" / folder).mkdir()
        (tmp_path / "yolo" / "images" / "train" / folder / "same.png").write_bytes(png_bytes(8, 8))
        (tmp_path / "yolo" / "labels" / "train" / folder / "same.txt").write_bytes(line)
    report = convert_yolo_to_dm(tmp_path / "yolo", tmp_path / "dm")
    assert report.converted == 2
    assert load_item(tmp_path / "dm", "train", "x/same")["images"][0]["bounding_box"][0]["data"] == [2, 2, 4, 4]
    assert load_item(tmp_path / "dm", "train", "y/same")["images"][0]["bounding_box"][0]["data"] == [0, 0, 4, 4]


def test_pose_lines_follow_the_given_keypoint_order_and_round_trip(tmp_path: Path) -> None:
    person = {
        "images": [
            {
                "bounding_box": [
                    {"id": "b", "classification": "person", "attrs": [], "data": [8, 8, 32, 24]},
                    {"id": "c", "classification": "car", "attrs": [], "data": [0, 0, 16, 12]},
                ],
                "keypoint": [
                    {"id": "n", "classification": "nose", "attrs": [], "data": [16, 12]},
                    {
                        "id": "t",
                        "classification": "tail",
                        "attrs": [{"name": "visibility", "value": 1}],
                        "data": [32, 24],
                    },
                ],
                "group": [{"id": "g", "classification": "person", "attrs": [], "data": ["b", "n", "t"]}],
            }
        ]
    }
    make_dm_dataset(tmp_path / "dm", {"train": {"a": person}}, size=(64, 48))
    report = convert_dm_to_yolo(tmp_path / "dm", tmp_path / "yolo", keypoint_names=["tail", "ear", "nose"])
    assert report.ok
    assert report.classes == ["person", "car"]
    lines = (tmp_path / "yolo" / "labels" / "train" / "a.txt").read_text().splitlines()
    assert lines == [
        "1 0.125 0.125 0.25 0.25 0 0 0 0 0 0 0 0 0",
        "0 0.375 0.4166666667 0.5 0.5 0.5 0.5 1 0 0 0 0.25 0.25 2",
    ]
    config = yaml.safe_load((tmp_path / "yolo" / "dataset.yaml").read_text())
    assert config["kpt_shape"] == [3, 3]
    assert config["kpt_names"] == ["tail", "ear", "nose"]
    assert convert_yolo_to_dm(tmp_path / "yolo", tmp_path / "back").ok
    back = load_item(tmp_path / "back", "train", "a")
    assert canonical_annotations(back) == canonical_annotations(person)


def test_boxes_outside_the_image_are_clipped_or_dropped_and_counted() -> None:
    data = {
        "images": [
            {
                "bounding_box": [
                    {"classification": "a", "data": [-10, -10, 20, 20]},  # sticks out: clipped
                    {"classification": "a", "data": [200, 200, 5, 5]},  # entirely outside: dropped
                    {"classification": "a", "data": [5, 5, 0, 0]},  # zero-size inside: kept
                ],
                "polyline": [{"classification": "lane", "data": [[0, 0], [1, 1]]}],
            }
        ]
    }
    result = dm_to_yolo_lines(data, width=100, height=50, classes=ClassIndex())
    assert result.lines == ["0 0.05 0.1 0.1 0.2", "0 0.05 0.1 0 0"]
    assert result.clipped == 1
    assert result.dropped == {"bounding_box": 1, "polyline": 1}


def test_bad_label_lines_are_reported_with_file_and_reason(tmp_path: Path) -> None:
    root = tmp_path / "yolo"
    for split in ("train",):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
    (root / "dataset.yaml").write_text(yaml.safe_dump({"names": {0: "a"}}))
    for name, text in {"good": "0 0.5 0.5 0.1 0.1\n", "index": "3 0.5 0.5 0.1 0.1\n", "short": "0 0.5 0.5\n"}.items():
        (root / "images" / "train" / f"{name}.png").write_bytes(png_bytes(8, 8))
        (root / "labels" / "train" / f"{name}.txt").write_text(text)
    (root / "images" / "train" / "nolabel.png").write_bytes(png_bytes(8, 8))
    (root / "images" / "train" / "broken.png").write_bytes(b"not an image")
    report = convert_yolo_to_dm(root, tmp_path / "dm")
    assert report.converted == 2  # good, nolabel (an image without labels is an item without annotations)
    failures = {f.path: f.reason for f in report.failures}
    assert set(failures) == {"images/train/broken.png", "images/train/index.png", "images/train/short.png"}
    assert "class index 3 has no name" in failures["images/train/index.png"]
    assert "fit neither" in failures["images/train/short.png"]
    assert "not a PNG" in failures["images/train/broken.png"]
    with pytest.raises(ItemError):
        convert_yolo_to_dm(root, tmp_path / "dm2", strict=True)


def test_unknown_class_with_fixed_classes_is_an_item_error() -> None:
    data = {"images": [{"bounding_box": [{"classification": "zebra", "data": [0, 0, 1, 1]}]}]}
    with pytest.raises(ItemError, match="not in the given class list"):
        dm_to_yolo_lines(data, width=10, height=10, classes=ClassIndex(["cat"]))


# --- round trips --------------------------------------------------------------------------------------------------

WIDTH, HEIGHT = 640, 480
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=6)
xs = st.integers(0, WIDTH * 4).map(lambda v: v / 4)
ys = st.integers(0, HEIGHT * 4).map(lambda v: v / 4)


@st.composite
def boxes_and_polygons(draw: st.DrawFn) -> dict:
    tools: dict[str, list[dict]] = {}
    for _ in range(draw(st.integers(0, 5))):
        x, y = draw(xs), draw(ys)
        w, h = draw(st.floats(0, WIDTH - x)), draw(st.floats(0, HEIGHT - y))
        tools.setdefault("bounding_box", []).append({"classification": draw(names), "data": [x, y, w, h]})
    for _ in range(draw(st.integers(0, 3))):
        points = draw(st.lists(st.tuples(xs, ys).map(list), min_size=3, max_size=8))
        tools.setdefault("polygon", []).append({"classification": draw(names), "data": points})
    return {"images": [tools]}


def as_one_kind(data: dict, task: str) -> dict:
    """The item as a YOLO dataset of ``task`` holds it: polygons as their extent, or boxes as their 4 corners."""
    tools = data["images"][0]
    boxes, polygons = list(tools.get("bounding_box", [])), list(tools.get("polygon", []))
    if task == "detect":
        for p in polygons:
            xs, ys = [q[0] for q in p["data"]], [q[1] for q in p["data"]]
            boxes.append({"classification": p["classification"],
                          "data": [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]})  # fmt: skip
        return {"images": [{"bounding_box": boxes}]}
    for b in boxes:
        x, y, w, h = b["data"]
        polygons.append(
            {"classification": b["classification"], "data": [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]}
        )
    return {"images": [{"polygon": polygons}]}


@pytest.mark.parametrize("task", ["detect", "segment"])
@given(data=boxes_and_polygons())
def test_dm_to_yolo_to_dm_keeps_every_shape_in_the_datasets_kind(task: str, data: dict) -> None:
    classes = ClassIndex()
    result = dm_to_yolo_lines(data, width=WIDTH, height=HEIGHT, classes=classes, task=task)  # type: ignore[arg-type]
    assert result.clipped == 0
    assert result.dropped == {}
    text = "".join(f"{line}\n" for line in result.lines)
    assert len(read_labels(text).boxes) <= len(result.lines)  # Ultralytics reads the file without an error
    back = yolo_lines_to_dm(result.lines, width=WIDTH, height=HEIGHT, class_names=classes.names)
    # 10 decimals of a relative coordinate leave well under 1e-5 pixel of error
    assert canonical_annotations(back, digits=4) == canonical_annotations(as_one_kind(data, task), digits=4)


@settings(max_examples=20)
@given(boxes_and_polygons())
def test_folder_round_trip_keeps_boxes_and_polygons(data: dict) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_dm_dataset(root / "dm", {"valid": {"item": data}}, size=(WIDTH, HEIGHT))
        assert convert_dm_to_yolo(root / "dm", root / "yolo", task="segment").ok
        assert convert_yolo_to_dm(root / "yolo", root / "back").ok
        back = load_item(root / "back", "valid", "item")
        assert canonical_annotations(back, digits=4) == canonical_annotations(as_one_kind(data, "segment"), digits=4)
