"""DM <-> COCO: datumaro's COCO samples import, our COCO output loads in pycocotools, round trips hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools.coco import COCO

from synapse_plugins.converters import (
    CocoCategories,
    ConversionError,
    ItemError,
    LayoutError,
    coco_item_to_dm,
    convert_coco_to_dm,
    convert_dm_to_coco,
    dm_to_coco_item,
)
from synapse_plugins.converters.testing import canonical_annotations, make_dm_dataset, png_bytes

# pycocotools 2.0 decodes masks with numpy 1 array semantics; numpy 2 warns about it inside pycocotools.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

CORPUS = Path(__file__).parent / "data" / "datumaro" / "coco_dataset"


def corpus(name: str) -> Path:
    path = CORPUS / name
    assert path.is_dir(), f"sample dataset missing at {path} (vendored under tests/data/datumaro)"
    return path


def load_item(root: Path, split: str | None, name: str) -> dict:
    base = root / split if split else root
    return json.loads((base / "json" / f"{name}.json").read_text(encoding="utf-8"))


# --- importing datumaro's samples ---------------------------------------------------------------------------------


def test_instances_sample_imports_boxes_polygons_and_masks(tmp_path: Path) -> None:
    report = convert_coco_to_dm(corpus("coco_instances"), tmp_path / "dm")
    assert report.ok
    assert report.converted == 2
    assert report.classes == ["a", "b", "c"]
    train = load_item(tmp_path / "dm", "train", "a")["images"][0]
    assert train["bounding_box"][0]["classification"] == "b"
    assert train["bounding_box"][0]["data"] == [2.0, 2.0, 3.0, 1.0]
    val = load_item(tmp_path / "dm", "valid", "b")["images"][0]
    assert val["polygon"][0]["data"] == [[0.0, 0.0], [1.0, 0.0], [1.0, 2.0], [0.0, 2.0]]
    assert {"name": "y", "value": "hello"} in val["polygon"][0]["attrs"]
    assert val["segmentation"][0]["classification"] == "b"
    assert val["segmentation"][0]["data"]
    assert (tmp_path / "dm" / "train" / "original_files" / "a.jpg").read_bytes() == (
        corpus("coco_instances") / "images" / "train" / "a.jpg"
    ).read_bytes()


def test_roboflow_layout_imports_the_same_annotations(tmp_path: Path) -> None:
    convert_coco_to_dm(corpus("coco_instances"), tmp_path / "a")
    report = convert_coco_to_dm(corpus("coco_roboflow"), tmp_path / "b")
    assert report.ok
    assert report.converted == 2
    for split, name in (("train", "a"), ("valid", "b")):
        assert load_item(tmp_path / "a", split, name) == load_item(tmp_path / "b", split, name)


def test_person_keypoints_sample_becomes_groups_of_box_and_keypoints(tmp_path: Path) -> None:
    report = convert_coco_to_dm(corpus("coco_person_keypoints"), tmp_path / "dm")
    assert report.ok
    image = load_item(tmp_path / "dm", "train", "a")["images"][0]
    (group,) = image["group"]
    assert group["classification"] == "b"
    members = {m: (tool, a) for tool in ("bounding_box", "keypoint") for a in image[tool] for m in [a["id"]]}
    assert sorted(members[m][0] for m in group["data"]) == ["bounding_box", "keypoint", "keypoint"]
    # keypoints [0,0,0, 0,2,1, 4,1,2]: the first is unlabeled, the second labeled but hidden
    points = {a["classification"]: (a["data"], a["attrs"]) for a in image["keypoint"]}
    assert points == {
        "keypoint_1": ([0, 2], [{"name": "visibility", "value": 1}]),
        "keypoint_2": ([4, 1], []),
    }


def test_datumaro_samples_survive_a_trip_through_our_coco(tmp_path: Path) -> None:
    for sample in ("coco_instances", "coco_person_keypoints"):
        convert_coco_to_dm(corpus(sample), tmp_path / sample / "dm")
        convert_dm_to_coco(tmp_path / sample / "dm", tmp_path / sample / "coco")
        convert_coco_to_dm(tmp_path / sample / "coco", tmp_path / sample / "back")
        for split, name in (("train", "a"), ("valid", "b")):
            original = load_item(tmp_path / sample / "dm", split, name)
            again = load_item(tmp_path / sample / "back", split, name)
            assert canonical_annotations(again) == canonical_annotations(original)


# --- our output read by pycocotools -------------------------------------------------------------------------------


def test_pycocotools_loads_our_output_with_every_annotation_kind(tmp_path: Path) -> None:
    person = {
        "classification": {},
        "images": [
            {
                "bounding_box": [{"id": "b", "classification": "person", "attrs": [], "data": [2, 2, 20, 30]}],
                "keypoint": [
                    {"id": "n", "classification": "nose", "attrs": [], "data": [10, 5]},
                    {"id": "e", "classification": "eye", "attrs": [{"name": "visibility", "value": 1}], "data": [8, 4]},
                ],
                "group": [{"id": "g", "classification": "person", "attrs": [], "data": ["b", "n", "e"]}],
                "polygon": [{"id": "p", "classification": "road", "attrs": [], "data": [[0, 40], [30, 40], [30, 47]]}],
                "segmentation": [{"id": "s", "classification": "sky", "attrs": [], "data": [0, 1, 2, 64, 65]}],
                "polyline": [{"id": "l", "classification": "lane", "attrs": [], "data": [[0, 0], [5, 5]]}],
            }
        ],
    }
    make_dm_dataset(
        tmp_path / "dm",
        {
            "train": {"a": [("bounding_box", "car", [1, 1, 10, 5])], "b": person},
            "valid": {"c": [("bounding_box", "차량", [0, 0, 64, 48])]},
        },
    )
    report = convert_dm_to_coco(tmp_path / "dm", tmp_path / "coco")
    assert report.ok
    assert report.converted == 3
    assert report.dropped == {"polyline": 1}
    train = COCO(str(tmp_path / "coco" / "annotations" / "instances_train.json"))
    val = COCO(str(tmp_path / "coco" / "annotations" / "instances_val.json"))
    # every split file carries the full category list with the same ids
    assert train.dataset["categories"] == val.dataset["categories"]
    names = {c["name"]: c["id"] for c in train.loadCats(train.getCatIds())}
    assert list(names) == ["car", "road", "sky", "person", "차량"]  # the order they were first met
    (person_ann,) = train.loadAnns(train.getAnnIds(catIds=[names["person"]]))
    assert train.loadCats(names["person"])[0]["keypoints"] == ["nose", "eye"]
    assert person_ann["keypoints"] == [10, 5, 2, 8, 4, 1]
    assert person_ann["num_keypoints"] == 2
    assert person_ann["bbox"] == [2, 2, 20, 30]
    (road,) = train.loadAnns(train.getAnnIds(catIds=[names["road"]]))
    assert train.annToMask(road).sum() > 0
    assert road["area"] == 30 * 7 / 2
    (sky,) = train.loadAnns(train.getAnnIds(catIds=[names["sky"]]))
    mask = train.annToMask(sky)
    assert mask.shape == (48, 64)
    assert mask.sum() == 5
    assert mask[1, 0] == 1
    assert mask[1, 1] == 1
    assert mask[0, 2] == 1
    assert len(set(train.getAnnIds()) | set(val.getAnnIds())) == len(train.getAnnIds()) + len(val.getAnnIds())
    assert sorted(p.name for p in (tmp_path / "coco" / "images" / "train").iterdir()) == ["a.png", "b.png"]


def test_keypoint_vectors_are_padded_when_a_category_gains_names_later(tmp_path: Path) -> None:
    def person(*names: str) -> dict:
        kps = [{"id": n, "classification": n, "attrs": [], "data": [i + 1, i + 1]} for i, n in enumerate(names)]
        group = {"id": "g", "classification": "person", "attrs": [], "data": list(names)}
        return {"images": [{"keypoint": kps, "group": [group]}]}

    make_dm_dataset(tmp_path / "dm", {None: {"a": person("nose"), "b": person("tail", "nose")}})
    convert_dm_to_coco(tmp_path / "dm", tmp_path / "coco")
    coco = COCO(str(tmp_path / "coco" / "annotations" / "instances_default.json"))
    assert coco.loadCats(1)[0]["keypoints"] == ["nose", "tail"]
    vectors = [a["keypoints"] for a in coco.loadAnns(coco.getAnnIds())]
    assert vectors == [[1, 1, 2, 0, 0, 0], [2, 2, 2, 1, 1, 2]]


# --- degenerate input ---------------------------------------------------------------------------------------------


def test_bad_items_are_reported_and_the_rest_converted(tmp_path: Path) -> None:
    make_dm_dataset(
        tmp_path / "dm",
        {
            None: {
                "good": [("bounding_box", "cat", [0, 0, 0, 0])],  # zero-size: COCO holds it as is
                "outside": [("bounding_box", "cat", [100, 100, 5, 5])],  # outside the image: kept as is
                "negative": [("bounding_box", "cat", [0, 0, -1, 2])],
                "empty_polygon": [("polygon", "cat", [])],
            }
        },
    )
    (tmp_path / "dm" / "json" / "broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "dm" / "json" / "no_image.json").write_text('{"images": [{}]}', encoding="utf-8")
    report = convert_dm_to_coco(tmp_path / "dm", tmp_path / "coco")
    assert report.converted == 2
    failures = {f.path: f.reason for f in report.failures}
    assert set(failures) == {"json/broken.json", "json/empty_polygon.json", "json/negative.json", "json/no_image.json"}
    assert "not valid JSON" in failures["json/broken.json"]
    assert "negative size" in failures["json/negative.json"]
    assert "at least 3 points" in failures["json/empty_polygon.json"]
    assert "no image" in failures["json/no_image.json"]
    coco = COCO(str(tmp_path / "coco" / "annotations" / "instances_default.json"))
    assert sorted(a["bbox"] for a in coco.loadAnns(coco.getAnnIds())) == [[0, 0, 0, 0], [100, 100, 5, 5]]


def test_strict_mode_stops_at_the_first_bad_item_and_leaves_no_annotation_file(tmp_path: Path) -> None:
    make_dm_dataset(tmp_path / "dm", {None: {"a": [("bounding_box", "cat", [0, 0, -1, 2])]}})
    with pytest.raises(ItemError) as caught:
        convert_dm_to_coco(tmp_path / "dm", tmp_path / "coco", strict=True)
    assert caught.value.path == "json/a.json"
    assert "negative size" in caught.value.reason
    assert not (tmp_path / "coco" / "annotations" / "instances_default.json").exists()
    assert not [p for p in (tmp_path / "coco").rglob("*") if p.name.startswith(".coco-spool")]


def test_fixed_classes_reject_unknown_and_duplicate_names(tmp_path: Path) -> None:
    make_dm_dataset(tmp_path / "dm", {None: {"a": [("bounding_box", "dog", [0, 0, 1, 1])]}})
    report = convert_dm_to_coco(tmp_path / "dm", tmp_path / "coco", classes=["cat"])
    assert [f.reason for f in report.failures] == ["dog: class is not in the given class list"]
    with pytest.raises(ConversionError, match="duplicate class name 'cat'"):
        convert_dm_to_coco(tmp_path / "dm", tmp_path / "coco2", classes=["cat", "cat"])


def test_coco_import_refuses_paths_outside_the_dataset_and_missing_images(tmp_path: Path) -> None:
    (tmp_path / "coco" / "annotations").mkdir(parents=True)
    (tmp_path / "coco" / "images").mkdir()
    (tmp_path / "secret.jpg").write_bytes(b"x")
    content = {
        "images": [
            {"id": 1, "file_name": "../../secret.jpg", "width": 1, "height": 1},
            {"id": 2, "file_name": "missing.jpg", "width": 1, "height": 1},
        ],
        "annotations": [],
        "categories": [],
    }
    (tmp_path / "coco" / "annotations" / "instances_default.json").write_text(json.dumps(content))
    report = convert_coco_to_dm(tmp_path / "coco", tmp_path / "dm")
    failures = sorted((f.path, f.reason) for f in report.failures)
    assert failures == [
        ("annotations/instances_default.json#../../secret.jpg", "path leaves the dataset folder"),
        ("annotations/instances_default.json#missing.jpg", "image file not found"),
    ]
    assert report.converted == 0
    assert not list((tmp_path / "dm").rglob("*.jpg"))


def test_target_must_be_empty(tmp_path: Path) -> None:
    make_dm_dataset(tmp_path / "dm", {None: {"a": []}})
    (tmp_path / "coco").mkdir()
    (tmp_path / "coco" / "keep.txt").write_text("mine")
    with pytest.raises(ConversionError, match="not empty"):
        convert_dm_to_coco(tmp_path / "dm", tmp_path / "coco")
    assert (tmp_path / "coco" / "keep.txt").read_text() == "mine"


# --- round trips --------------------------------------------------------------------------------------------------

WIDTH, HEIGHT = 64, 48
class_names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8)
coordinate = st.floats(min_value=0, max_value=40, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def dm_items(draw: st.DrawFn) -> dict:
    builder_tools: dict[str, list[dict]] = {}
    counter = iter(range(1, 10_000))

    def add(tool: str, cls: str, data: object, attrs: list | None = None) -> str:
        ann_id = f"x{next(counter)}"
        builder_tools.setdefault(tool, []).append(
            {"id": ann_id, "classification": cls, "attrs": attrs or [], "data": data}
        )
        return ann_id

    for _ in range(draw(st.integers(0, 4))):
        attrs = draw(st.lists(st.builds(lambda v: {"name": "score", "value": v}, st.integers(0, 5)), max_size=1))
        add("bounding_box", draw(class_names), [draw(coordinate) for _ in range(4)], attrs)
    for _ in range(draw(st.integers(0, 3))):
        points = draw(st.lists(st.tuples(coordinate, coordinate).map(list), min_size=3, max_size=6))
        add("polygon", draw(class_names), points)
    for _ in range(draw(st.integers(0, 2))):
        pixels = sorted(draw(st.sets(st.integers(0, WIDTH * HEIGHT - 1), min_size=1, max_size=30)))
        add("segmentation", draw(class_names), pixels)
    for _ in range(draw(st.integers(0, 2))):
        names = draw(st.lists(class_names, min_size=1, max_size=4, unique=True))
        instance = draw(class_names)  # a COCO instance has one category: its box carries the group's class
        members = [add("bounding_box", instance, [draw(coordinate) for _ in range(4)])]
        for name in names:
            visible = draw(st.sampled_from([[], [{"name": "visibility", "value": 1}]]))
            members.append(add("keypoint", name, [draw(coordinate), draw(coordinate)], visible))
        add("group", instance, members)
    return {"images": [builder_tools]}


@given(dm_items())
def test_dm_to_coco_to_dm_keeps_what_coco_can_hold(data: dict) -> None:
    categories = CocoCategories()
    item = dm_to_coco_item(data, file_name="a.png", width=WIDTH, height=HEIGHT, image_id=1, categories=categories)
    by_id = {c["id"]: c for c in categories.to_coco()}
    # what a reader of the file sees: keypoint vectors as long as the final category list
    for ann in item.annotations:
        if "keypoints" in ann:
            ann["keypoints"] += [0.0] * (3 * len(by_id[ann["category_id"]]["keypoints"]) - len(ann["keypoints"]))
    back = coco_item_to_dm(item.image, json.loads(json.dumps(item.annotations)), by_id)
    assert canonical_annotations(back) == canonical_annotations(data)
    assert item.dropped == {}


@settings(max_examples=25)
@given(dm_items())
def test_folder_round_trip_matches_item_round_trip(data: dict) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_dm_dataset(root / "dm", {"train": {"item": data}}, size=(WIDTH, HEIGHT))
        assert convert_dm_to_coco(root / "dm", root / "coco").ok
        assert convert_coco_to_dm(root / "coco", root / "back").ok
        assert canonical_annotations(load_item(root / "back", "train", "item")) == canonical_annotations(data)


# --- regressions: nothing lost or merged silently -----------------------------------------------------------------


def write_coco(root: Path, content: dict, images: dict[str, tuple[int, int]], split: str = "train") -> Path:
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    for name, (width, height) in images.items():
        path = root / "images" / split / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png_bytes(width, height))
    path = root / "annotations" / f"instances_{split}.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def image(image_id: int, name: str, width: int = 8, height: int = 6) -> dict:
    return {"id": image_id, "file_name": name, "width": width, "height": height}


def box(ann_id: int, image_id: int, category_id: object = 1, bbox: object = (1, 1, 2, 2)) -> dict:
    coords = list(bbox) if isinstance(bbox, tuple) else bbox
    return {"id": ann_id, "image_id": image_id, "category_id": category_id, "bbox": coords,
            "area": 4, "segmentation": [], "iscrowd": 0}  # fmt: skip


CATS = [{"id": 1, "name": "cat"}]


def test_a_crowd_mask_stays_a_crowd_through_dm(tmp_path: Path) -> None:
    crowd = {"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 1, "area": 3, "bbox": [0, 0, 1, 3],
             "segmentation": {"size": [6, 8], "counts": [0, 3, 45]}}  # fmt: skip
    write_coco(tmp_path / "coco", {"images": [image(1, "a.png")], "annotations": [crowd], "categories": CATS},
               {"a.png": (8, 6)})  # fmt: skip
    assert convert_coco_to_dm(tmp_path / "coco", tmp_path / "dm").ok
    assert convert_dm_to_coco(tmp_path / "dm", tmp_path / "back").ok
    coco = COCO(str(tmp_path / "back" / "annotations" / "instances_train.json"))
    (ann,) = coco.loadAnns(coco.getAnnIds())
    assert ann["iscrowd"] == 1
    assert "attributes" not in ann
    assert coco.annToMask(ann).sum() == 3


def test_an_annotation_of_no_image_is_a_failure_and_strict_stops(tmp_path: Path) -> None:
    content = {"images": [image(1, "a.png")], "annotations": [box(1, 1), box(2, 99), box(3, [1])], "categories": CATS}
    write_coco(tmp_path / "coco", content, {"a.png": (8, 6)})
    report = convert_coco_to_dm(tmp_path / "coco", tmp_path / "dm")
    assert report.converted == 1
    failures = {f.path: f.reason for f in report.failures}
    assert failures == {
        "annotations/instances_train.json#annotation 2": "annotation names image id 99, which no image has",
        "annotations/instances_train.json#annotation 3": "annotation names image id [1], which no image has",
    }
    with pytest.raises(ItemError, match="no image has"):
        convert_coco_to_dm(tmp_path / "coco", tmp_path / "dm2", strict=True)


def test_two_images_with_one_stem_in_two_folders_stay_two_items(tmp_path: Path) -> None:
    anns = [box(1, 1, bbox=(1, 1, 2, 2)), box(2, 2, bbox=(3, 3, 1, 1))]
    content = {"images": [image(1, "a/x.png"), image(2, "b/x.png")], "annotations": anns, "categories": CATS}
    write_coco(tmp_path / "coco", content, {"a/x.png": (8, 6), "b/x.png": (8, 6)})
    report = convert_coco_to_dm(tmp_path / "coco", tmp_path / "dm")
    assert (report.converted, report.failures) == (2, [])
    assert load_item(tmp_path / "dm", "train", "a/x")["images"][0]["bounding_box"][0]["data"] == [1, 1, 2, 2]
    assert load_item(tmp_path / "dm", "train", "b/x")["images"][0]["bounding_box"][0]["data"] == [3, 3, 1, 1]
    assert convert_dm_to_coco(tmp_path / "dm", tmp_path / "back").converted == 2
    coco = COCO(str(tmp_path / "back" / "annotations" / "instances_train.json"))
    by_name = {i["file_name"]: coco.loadAnns(coco.getAnnIds(imgIds=[i["id"]])) for i in coco.loadImgs(coco.getImgIds())}
    assert {n: [a["bbox"] for a in anns] for n, anns in by_name.items()} == {
        "a/x.png": [[1, 1, 2, 2]],
        "b/x.png": [[3, 3, 1, 1]],
    }
    assert (tmp_path / "back" / "images" / "train" / "b" / "x.png").is_file()


def test_keypoint_names_order_skeleton_and_outline_survive_every_trip(tmp_path: Path) -> None:
    categories = [{"id": 1, "name": "person", "keypoints": ["head", "hand", "foot"], "skeleton": [[1, 2], [2, 3]]}]
    only_foot = {"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 6, "bbox": [0, 0, 4, 4],
                 "segmentation": [[0, 0, 4, 0, 4, 3]], "keypoints": [0, 0, 0, 0, 0, 0, 3, 3, 2],
                 "num_keypoints": 1}  # fmt: skip
    write_coco(tmp_path / "coco", {"images": [image(1, "a.png")], "annotations": [only_foot], "categories": categories},
               {"a.png": (8, 6)})  # fmt: skip
    assert convert_coco_to_dm(tmp_path / "coco", tmp_path / "dm").ok
    assert convert_dm_to_coco(tmp_path / "dm", tmp_path / "back").ok
    coco = COCO(str(tmp_path / "back" / "annotations" / "instances_train.json"))
    (category,) = coco.loadCats(coco.getCatIds())
    assert category["keypoints"] == ["head", "hand", "foot"]
    assert category["skeleton"] == [[1, 2], [2, 3]]
    (ann,) = coco.loadAnns(coco.getAnnIds())  # one annotation: the polygon travels with its keypoints
    assert ann["keypoints"] == [0, 0, 0, 0, 0, 0, 3, 3, 2]
    assert ann["segmentation"] == [[0, 0, 4, 0, 4, 3]]
    assert ann["bbox"] == [0, 0, 4, 4]
    assert coco.annToMask(ann).sum() > 0


def test_one_bad_annotation_fails_its_image_and_the_others_convert(tmp_path: Path) -> None:
    content = {
        "images": [image(1, "good.png"), image(2, "list_id.png"), image(3, "huge.png"), image(4, "bomb.png", 4, 4)],
        "annotations": [
            box(1, 1),
            box(2, 2, category_id=[1]),
            box(3, 3, bbox=[10**400, 1, 2, 2]),
            {
                "id": 4,
                "image_id": 4,
                "category_id": 1,
                "iscrowd": 1,
                "bbox": [0, 0, 1, 1],
                "segmentation": {"size": [6000, 6000], "counts": [36_000_000]},
            },
        ],
        "categories": CATS,
    }
    write_coco(tmp_path / "coco", content, {"good.png": (8, 6), "list_id.png": (8, 6), "huge.png": (8, 6),
                                            "bomb.png": (4, 4)})  # fmt: skip
    report = convert_coco_to_dm(tmp_path / "coco", tmp_path / "dm")
    assert report.converted == 1
    failures = {f.path.rsplit("#", 1)[1]: f.reason for f in report.failures}
    assert set(failures) == {"list_id.png", "huge.png", "bomb.png"}
    assert "unknown category [1]" in failures["list_id.png"]
    assert "finite numbers" in failures["huge.png"]
    assert "RLE size [6000, 6000] is not the image's 4x4" in failures["bomb.png"]


def test_deeply_nested_json_fails_that_file_only(tmp_path: Path) -> None:
    make_dm_dataset(tmp_path / "dm", {None: {"good": [("bounding_box", "cat", [0, 0, 1, 1])], "deep": []}})
    (tmp_path / "dm" / "json" / "deep.json").write_text('{"images": ' + "[" * 100_000 + "]" * 100_000 + "}")
    report = convert_dm_to_coco(tmp_path / "dm", tmp_path / "coco")
    assert report.converted == 1
    assert [f.path for f in report.failures] == ["json/deep.json"]
    write_coco(
        tmp_path / "c2", {"images": [image(1, "a.png")], "annotations": [], "categories": CATS}, {"a.png": (8, 6)}
    )
    (tmp_path / "c2" / "annotations" / "instances_val.json").write_text("[" * 100_000 + "]" * 100_000)
    report = convert_coco_to_dm(tmp_path / "c2", tmp_path / "dm2")
    assert report.converted == 1
    assert [(f.path, f.reason[:14]) for f in report.failures] == [("annotations/instances_val.json", "not valid JSON")]


def test_two_categories_with_one_id_fail_their_file(tmp_path: Path) -> None:
    categories = [{"id": 1, "name": "cat"}, {"id": 1, "name": "dog"}]
    write_coco(tmp_path / "coco", {"images": [image(1, "a.png")], "annotations": [box(1, 1)], "categories": categories},
               {"a.png": (8, 6)})  # fmt: skip
    report = convert_coco_to_dm(tmp_path / "coco", tmp_path / "dm")
    assert report.converted == 0
    assert [str(f) for f in report.failures] == [
        "annotations/instances_train.json: category id 1 appears twice (would relabel one class as another)"
    ]
    with pytest.raises(ItemError, match="appears twice"):
        convert_coco_to_dm(tmp_path / "coco", tmp_path / "dm2", strict=True)


@pytest.mark.parametrize("name", ["instances_...json", "instances_..json"])
def test_an_annotation_file_whose_split_climbs_out_is_refused(tmp_path: Path, name: str) -> None:
    content = {"images": [image(1, "a.png")], "annotations": [box(1, 1)], "categories": CATS}
    path = write_coco(tmp_path / "src" / "coco", content, {"a.png": (8, 6)})
    path.rename(path.with_name(name))
    with pytest.raises(LayoutError, match="split name"):
        convert_coco_to_dm(tmp_path / "src" / "coco", tmp_path / "out" / "dm")
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in (tmp_path / "src").iterdir()) == ["coco"]
