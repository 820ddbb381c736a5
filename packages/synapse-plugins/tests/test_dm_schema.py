"""DM schema v1 <-> v2: per-tool mapping and lossless round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from synapse_plugins.converters import ItemError, convert_schema_folder, convert_v1_to_v2, convert_v2_to_v1

V1 = {
    "extra": {"assignment": 7},
    "annotations": {
        "image_1": [
            {"id": "b1", "tool": "bounding_box", "isLocked": False, "classification": {"class": "car", "color": "red"}},
            {"id": "p1", "tool": "polygon", "classification": {"class": "road"}},
            {"id": "l1", "tool": "polyline", "classification": {"class": "lane"}},
            {"id": "k1", "tool": "keypoint", "classification": {"class": "nose"}},
            {"id": "s1", "tool": "segmentation", "classification": {"class": "sky"}},
            {"id": "c1", "tool": "classification", "classification": {"class": "day", "weather": "sunny"}},
            {"id": "r1", "tool": "relation", "classification": {"class": "drives"}},
            {"id": "g1", "tool": "group", "classification": {"class": "family"}},
        ],
        "pcd_1": [{"id": "d1", "tool": "3d_bounding_box", "classification": {"class": "truck"}}],
        "text_1": [{"id": "n1", "tool": "named_entity", "classification": {"class": "PERSON"}}],
        "prompt_1": [
            {"id": "q1", "tool": "prompt", "classification": {"class": "question"}},
            {"id": "a1", "tool": "answer", "classification": {"class": "answer"}},
        ],
        "video_2": [{"id": "v1", "tool": "segmentation", "classification": {"class": "scene"}}],
    },
    "annotationsData": {
        "image_1": [
            {"id": "b1", "coordinate": {"x": 1, "y": 2, "width": 3, "height": 4, "rotation": 0.5}},
            {"id": "p1", "coordinate": [{"x": 0, "y": 0}, {"x": 5, "y": 0}, {"x": 5, "y": 5}]},
            {"id": "l1", "coordinate": [{"x": 0, "y": 0}, {"x": 9, "y": 9}]},
            {"id": "k1", "coordinate": {"x": 7, "y": 8}},
            {"id": "s1", "pixel_indices": [3, 4, 5]},
            {"id": "r1", "annotationId": "b1", "targetAnnotationId": "k1"},
            {"id": "g1", "annotationList": ["b1", "k1"]},
        ],
        "pcd_1": [{"id": "d1", "psr": {"position": {"x": 1, "y": 2, "z": 3}, "scale": {"x": 1, "y": 1, "z": 1}}}],
        "text_1": [{"id": "n1", "ranges": [{"start": 0, "end": 4}], "content": "John"}],
        "prompt_1": [{"id": "q1", "input": [{"type": "text", "value": "Why?"}]}, {"id": "a1", "output": "Because."}],
        "video_2": [{"id": "v1", "section": {"startFrame": 3, "endFrame": 9}}],
    },
}


def test_each_tool_maps_to_its_v2_shape() -> None:
    v2 = convert_v1_to_v2(V1)
    image = v2["images"][0]
    assert image["bounding_box"] == [
        {
            "id": "b1",
            "classification": "car",
            "attrs": [{"name": "color", "value": "red"}, {"name": "_isLocked", "value": False},
                      {"name": "_rotation", "value": 0.5}],
            "data": [1, 2, 3, 4],
        }
    ]  # fmt: skip
    assert image["polygon"][0]["data"] == [[0, 0], [5, 0], [5, 5]]
    assert image["polyline"][0]["data"] == [[0, 0], [9, 9]]
    assert image["keypoint"][0]["data"] == [7, 8]
    assert image["segmentation"][0]["data"] == [3, 4, 5]
    assert image["classification"][0] == {
        "id": "c1", "classification": "day", "attrs": [{"name": "weather", "value": "sunny"}], "data": None,
    }  # fmt: skip
    assert image["relation"][0]["data"] == {"annotationId": "b1", "targetAnnotationId": "k1"}
    assert image["group"][0]["data"] == {"annotationList": ["b1", "k1"]}
    assert v2["pcds"][0]["3d_bounding_box"][0]["data"]["psr"]["position"] == {"x": 1, "y": 2, "z": 3}
    assert v2["texts"][0]["named_entity"][0]["data"] == {"ranges": [{"start": 0, "end": 4}], "content": "John"}
    assert v2["prompts"][0]["answer"][0]["data"] == {"output": "Because."}
    assert v2["videos"] == [{}, {"segmentation": [{"id": "v1", "classification": "scene", "attrs": [],
                                                   "data": {"startFrame": 3, "endFrame": 9}}]}]  # fmt: skip
    assert v2["classification"]["bounding_box"] == ["car"]
    assert v2["v1_meta"] == {"extra": {"assignment": 7}}


def by_id(document: dict) -> dict:
    return {
        key: {media: sorted(entries, key=lambda e: e["id"]) for media, entries in document[key].items()}
        for key in ("annotations", "annotationsData")
    }


def test_v1_to_v2_to_v1_gives_back_the_same_annotations() -> None:
    back = convert_v2_to_v1(convert_v1_to_v2(V1))
    assert by_id(back) == by_id(V1)
    assert back["extra"] == V1["extra"]


def test_not_v1_and_bad_media_ids_are_item_errors() -> None:
    with pytest.raises(ItemError, match="not a DM v1 document"):
        convert_v1_to_v2({"images": []})
    with pytest.raises(ItemError, match="is not <type>_<number>"):
        convert_v1_to_v2({"annotations": {"image": []}})
    with pytest.raises(ItemError, match="has no tool"):
        convert_v1_to_v2({"annotations": {"image_1": [{"id": "x"}]}})


values = st.one_of(st.integers(-5, 5), st.text(max_size=4), st.booleans())
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=5)
numbers = st.integers(-100, 100)


@st.composite
def v1_documents(draw: st.DrawFn) -> dict:
    annotations: list[dict] = []
    data: list[dict] = []
    for n in range(draw(st.integers(0, 8))):
        ann_id = f"a{n}"
        tool = draw(
            st.sampled_from(["bounding_box", "polygon", "keypoint", "segmentation", "relation", "classification"])
        )
        extra = draw(st.dictionaries(st.sampled_from(["color", "size", "note"]), values, max_size=2))
        annotation = {"id": ann_id, "tool": tool, "classification": {"class": draw(names), **extra}}
        if draw(st.booleans()):
            annotation["isLocked"] = draw(st.booleans())
        annotations.append(annotation)
        if tool == "bounding_box":
            box = dict(zip(("x", "y", "width", "height"), draw(st.lists(numbers, min_size=4, max_size=4)), strict=True))
            data.append({"id": ann_id, "coordinate": box})
        elif tool == "polygon":
            points = draw(st.lists(st.fixed_dictionaries({"x": numbers, "y": numbers}), min_size=3, max_size=5))
            data.append({"id": ann_id, "coordinate": points})
        elif tool == "keypoint":
            data.append({"id": ann_id, "coordinate": {"x": draw(numbers), "y": draw(numbers)}})
        elif tool == "segmentation":
            data.append({"id": ann_id, "pixel_indices": draw(st.lists(st.integers(0, 999), max_size=5))})
        elif tool == "relation":
            data.append({"id": ann_id, "annotationId": "a0", "targetAnnotationId": "a1"})
    return {"annotations": {"image_1": annotations}, "annotationsData": {"image_1": data} if data else {}}


@given(v1_documents())
def test_v1_round_trip_is_lossless(document: dict) -> None:
    v2 = convert_v1_to_v2(document)
    back = convert_v2_to_v1(json.loads(json.dumps(v2)))
    if not document["annotations"]["image_1"]:
        assert back["annotations"] == {}
        return
    assert by_id(back) == by_id(document)


def test_folder_conversion_keeps_the_layout_and_copies_images(tmp_path: Path) -> None:
    (tmp_path / "v1" / "train" / "json").mkdir(parents=True)
    (tmp_path / "v1" / "train" / "original_files").mkdir()
    (tmp_path / "v1" / "train" / "json" / "a.json").write_text(json.dumps(V1))
    (tmp_path / "v1" / "train" / "json" / "bad.json").write_text("[]")
    (tmp_path / "v1" / "train" / "original_files" / "a.jpg").write_bytes(b"jpeg")
    report = convert_schema_folder(tmp_path / "v1", tmp_path / "v2", to="v2")
    assert report.converted == 1
    assert [(f.path, f.reason) for f in report.failures] == [
        ("train/json/bad.json", "annotation file must hold a JSON object")
    ]
    assert (tmp_path / "v2" / "train" / "original_files" / "a.jpg").read_bytes() == b"jpeg"
    v2 = json.loads((tmp_path / "v2" / "train" / "json" / "a.json").read_text())
    assert v2 == convert_v1_to_v2(V1)
    (tmp_path / "v2" / "train" / "json" / "bad.json").unlink(missing_ok=True)
    assert convert_schema_folder(tmp_path / "v2", tmp_path / "v1again", to="v1").ok
    again = json.loads((tmp_path / "v1again" / "train" / "json" / "a.json").read_text())
    assert by_id(again) == by_id(V1)
