"""DM <-> Pascal VOC: datumaro's VOC sample imports, our XML has the VOC structure, unsafe XML is refused."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from defusedxml.ElementTree import parse
from hypothesis import given, settings
from hypothesis import strategies as st

from synapse_plugins.converters import ItemError, convert_dm_to_voc, convert_voc_to_dm, dm_to_voc_xml, voc_xml_to_dm
from synapse_plugins.converters.testing import canonical_annotations, make_dm_dataset

CORPUS = Path(__file__).parent / "data" / "datumaro" / "voc_dataset"


def corpus(name: str) -> Path:
    path = CORPUS / name
    assert path.is_dir(), f"sample dataset missing at {path} (vendored under tests/data/datumaro)"
    return path


def load_item(root: Path, split: str | None, name: str) -> dict:
    base = root / split if split else root
    return json.loads((base / "json" / f"{name}.json").read_text(encoding="utf-8"))


def assert_voc_structure(path: Path) -> None:
    """The elements and types the VOC development kit reads from an annotation file."""
    root = parse(path).getroot()
    assert root.tag == "annotation"
    assert root.findtext("filename")
    size = root.find("size")
    assert size is not None
    for tag in ("width", "height", "depth"):
        assert int(size.findtext(tag) or "") > 0
    assert root.findtext("segmented") in ("0", "1")
    for obj in root.findall("object"):
        assert obj.findtext("name")
        assert obj.findtext("pose")
        for flag in ("truncated", "difficult", "occluded"):
            assert obj.findtext(flag) in ("0", "1")
        box = obj.find("bndbox")
        assert box is not None
        xmin, ymin, xmax, ymax = (float(box.findtext(t) or "") for t in ("xmin", "ymin", "xmax", "ymax"))
        assert xmin <= xmax
        assert ymin <= ymax


def test_datumaro_sample_imports_splits_boxes_flags_and_actions(tmp_path: Path) -> None:
    report = convert_voc_to_dm(corpus("voc_dataset1"), tmp_path / "dm")
    assert report.ok
    assert report.converted == 2
    assert report.classes == ["cat", "person"]
    assert report.dropped == {"part": 1}  # the person's head box
    image = load_item(tmp_path / "dm", "train", "2007_000001")["images"][0]
    cat, person = image["bounding_box"]
    # the devkit's <xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax>: 1-based inclusive pixels 1..3 x 2..4
    assert (cat["classification"], cat["data"]) == ("cat", [0.0, 1.0, 3.0, 3.0])
    assert cat["attrs"] == [{"name": "truncated", "value": True}]
    assert (person["classification"], person["data"]) == ("person", [3.0, 4.0, 3.0, 3.0])
    assert {"name": "jumping", "value": False} in person["attrs"]
    assert {"name": "walking", "value": True} in person["attrs"]
    # listed in ImageSets/Main/test.txt without an annotation file: an item without annotations
    assert load_item(tmp_path / "dm", "test", "2007_000002")["images"] == [{}]
    assert (tmp_path / "dm" / "test" / "original_files" / "2007_000002.jpg").is_file()


def test_datumaro_sample_round_trips_through_our_voc(tmp_path: Path) -> None:
    convert_voc_to_dm(corpus("voc_dataset1"), tmp_path / "dm")
    report = convert_dm_to_voc(tmp_path / "dm", tmp_path / "voc")
    assert report.ok
    assert_voc_structure(tmp_path / "voc" / "Annotations" / "2007_000001.xml")
    assert (tmp_path / "voc" / "ImageSets" / "Main" / "train.txt").read_text() == "2007_000001\n"
    assert (tmp_path / "voc" / "ImageSets" / "Main" / "test.txt").read_text() == "2007_000002\n"
    assert (tmp_path / "voc" / "labelmap.txt").read_text().splitlines()[1:] == ["cat:::", "person:::"]
    convert_voc_to_dm(tmp_path / "voc", tmp_path / "back")
    for split, name in (("train", "2007_000001"), ("test", "2007_000002")):
        again, first = load_item(tmp_path / "back", split, name), load_item(tmp_path / "dm", split, name)
        assert canonical_annotations(again) == canonical_annotations(first)


def test_output_has_the_voc_structure_and_counts_what_voc_cannot_hold(tmp_path: Path) -> None:
    make_dm_dataset(
        tmp_path / "dm",
        {
            "valid": {
                "a": [("bounding_box", "고양이", [0.5, 1, 3, 4]), ("polygon", "road", [[0, 0], [1, 0], [1, 1]])],
                "b": [],
            }
        },
    )
    report = convert_dm_to_voc(tmp_path / "dm", tmp_path / "voc")
    assert report.ok
    assert report.converted == 2
    assert report.dropped == {"polygon": 1}
    assert report.adjusted == {"rounded_to_pixels": 1}
    for name in ("a", "b"):
        assert_voc_structure(tmp_path / "voc" / "Annotations" / f"{name}.xml")
    root = parse(tmp_path / "voc" / "Annotations" / "a.xml").getroot()
    assert root.findtext("object/name") == "고양이"
    # x 0.5..3.5 touches pixels 0..3, the devkit's 1..4; y 1..5 is pixels 1..4, the devkit's 2..5
    assert [root.findtext(f"object/bndbox/{t}") for t in ("xmin", "ymin", "xmax", "ymax")] == ["1", "2", "4", "5"]
    assert (tmp_path / "voc" / "ImageSets" / "Main" / "val.txt").read_text() == "a\nb\n"
    unshifted = convert_dm_to_voc(tmp_path / "dm", tmp_path / "voc0", one_based=False)
    assert unshifted.adjusted == {}
    root = parse(tmp_path / "voc0" / "Annotations" / "a.xml").getroot()
    assert [root.findtext(f"object/bndbox/{t}") for t in ("xmin", "ymin", "xmax", "ymax")] == ["0.5", "1", "3.5", "5"]


def test_the_devkit_sample_reads_as_the_devkit_means_it_and_writes_back_byte_for_byte(tmp_path: Path) -> None:
    sample = corpus("voc_dataset1") / "Annotations" / "2007_000001.xml"
    data, _ = voc_xml_to_dm(sample.read_bytes())
    # a box whose first pixel column is the image's first (devkit xmin = 1) starts at DM x = 0
    first = data["images"][0]["bounding_box"][0]["data"]
    assert first[0] == 0.0
    xml = dm_to_voc_xml(data, file_name="2007_000001.jpg", width=20, height=10)
    ours, theirs = parse_boxes(xml), parse_boxes(sample.read_bytes())
    assert ours == theirs


def parse_boxes(xml: bytes) -> list[tuple[str, list[str]]]:
    from defusedxml.ElementTree import fromstring

    root = fromstring(xml)
    return [
        (obj.findtext("name") or "", [obj.findtext(f"bndbox/{t}") or "" for t in ("xmin", "ymin", "xmax", "ymax")])
        for obj in root.findall("object")
    ]


def test_a_box_at_the_left_edge_is_written_as_the_first_pixel() -> None:
    data = {"images": [{"bounding_box": [{"classification": "cat", "data": [0, 0, 64, 48]}]}]}
    xml = dm_to_voc_xml(data, file_name="a.png", width=64, height=48)
    assert parse_boxes(xml) == [("cat", ["1", "1", "64", "48"])]
    assert voc_xml_to_dm(xml)[0]["images"][0]["bounding_box"][0]["data"] == [0, 0, 64, 48]


def test_an_infinite_or_huge_size_fails_that_item_only(tmp_path: Path) -> None:
    voc = tmp_path / "voc"
    convert_dm_to_voc_from_spec(voc, {"a": [("bounding_box", "cat", [0, 0, 2, 2])], "b": [], "c": []})
    (voc / "Annotations" / "b.xml").write_bytes(
        b"<annotation><size><width>inf</width><height>1</height></size></annotation>"
    )
    big = "9" * 400
    (voc / "Annotations" / "c.xml").write_bytes(
        f"<annotation><object><name>x</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>{big}</xmax><ymax>2</ymax>"
        "</bndbox></object></annotation>".encode()
    )
    report = convert_voc_to_dm(voc, tmp_path / "dm")
    assert report.converted == 1
    failures = {f.path: f.reason for f in report.failures}
    assert "not a whole number of pixels" in failures["Annotations/b.xml"]
    assert "finite numbers" in failures["Annotations/c.xml"]


def test_entity_expansion_and_dtds_are_refused() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx"><!ENTITY y "&x;&x;&x;&x;">]>
    <annotation><filename>&y;</filename></annotation>"""
    with pytest.raises(ItemError, match="not a safe, well-formed XML"):
        voc_xml_to_dm(bomb)


def test_bad_annotation_files_are_reported_and_the_rest_converted(tmp_path: Path) -> None:
    voc = tmp_path / "voc"
    convert_dm_to_voc_from_spec(voc, {"a": [("bounding_box", "cat", [0, 0, 2, 2])], "b": [], "c": []})
    (voc / "Annotations" / "b.xml").write_bytes(b"<annotation><object><bndbox/></object></annotation>")
    (voc / "Annotations" / "c.xml").write_bytes(b"<annotation><unclosed></annotation>")
    report = convert_voc_to_dm(voc, tmp_path / "dm")
    assert report.converted == 1
    failures = {f.path: f.reason for f in report.failures}
    assert failures["Annotations/b.xml"] == "an <object> has no <name>"
    assert failures["Annotations/c.xml"].startswith("not a safe, well-formed XML document: mismatched tag")
    assert len(failures) == 2


def convert_dm_to_voc_from_spec(target: Path, items: dict) -> None:
    with tempfile.TemporaryDirectory() as folder:
        make_dm_dataset(Path(folder) / "dm", {None: items})
        assert convert_dm_to_voc(Path(folder) / "dm", target).ok


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=6)
names = names.filter(lambda n: n.strip() == n)  # VOC readers strip <name>
coordinate = st.integers(0, 4000).map(lambda v: v / 8)
flags = st.lists(st.sampled_from([{"name": "difficult", "value": True}, {"name": "occluded", "value": True}]),
                 unique_by=lambda a: a["name"])  # fmt: skip


@st.composite
def voc_items(draw: st.DrawFn) -> dict:
    boxes = [
        {"classification": draw(names), "attrs": draw(flags), "data": [draw(coordinate) for _ in range(4)]}
        for _ in range(draw(st.integers(0, 5)))
    ]
    return {"images": [{"bounding_box": boxes}]}


@given(voc_items())
def test_dm_to_voc_to_dm_keeps_boxes_and_flags_unshifted(data: dict) -> None:
    xml = dm_to_voc_xml(data, file_name="a.png", width=640, height=480, one_based=False)
    back, image = voc_xml_to_dm(xml, one_based=False)
    assert (image["filename"], image["width"], image["height"]) == ("a.png", 640, 480)
    assert canonical_annotations(back) == canonical_annotations(data)


@given(voc_items())
def test_one_based_boxes_cover_the_pixels_the_dm_box_touches(data: dict) -> None:
    back, _ = voc_xml_to_dm(dm_to_voc_xml(data, file_name="a.png", width=640, height=480))
    boxes = data["images"][0]["bounding_box"]
    for before, after in zip(boxes, back["images"][0].get("bounding_box", []), strict=True):
        x, y, w, h = before["data"]
        ax, ay, aw, ah = after["data"]
        assert (ax, ay) == (int(x), int(y))  # floor
        assert ax + aw >= x + w
        assert ay + ah >= y + h
        assert ax + aw - (x + w) < 1
        assert ay + ah - (y + h) < 1
        if all(float(v).is_integer() for v in before["data"]):
            assert after["data"] == before["data"]


@settings(max_examples=10)
@given(voc_items())
def test_folder_round_trip_keeps_boxes(data: dict) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_dm_dataset(root / "dm", {"train": {"x": data}})
        assert convert_dm_to_voc(root / "dm", root / "voc", one_based=False).ok
        assert convert_voc_to_dm(root / "voc", root / "back", one_based=False).ok
        assert canonical_annotations(load_item(root / "back", "train", "x")) == canonical_annotations(data)


@pytest.mark.parametrize(
    "document",
    [
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><annotation>&x;</annotation>'.encode(
            "utf-16"
        ),
        b'<?xml version="1.0" encoding="cp1252"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><annotation/>',
        b"\xef\xbb\xbf<!DOCTYPE a [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><annotation>&x;</annotation>",
        b"<annotation><filename>&undefined;</filename></annotation>",
    ],
    ids=["utf16-dtd", "external-dtd", "bom-entity", "undefined-entity"],
)
def test_xml_that_could_carry_a_dtd_goes_through_defusedxml_and_is_refused(document: bytes) -> None:
    with pytest.raises(ItemError, match="not a safe, well-formed XML document"):
        voc_xml_to_dm(document)


def test_plain_and_declared_latin1_documents_read_the_same() -> None:
    body = "<annotation><filename>caf\u00e9.jpg</filename><object><name>chat</name><bndbox><xmin>1</xmin>"
    body += "<ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>"
    utf8 = voc_xml_to_dm(body.encode())
    latin1 = voc_xml_to_dm(b'<?xml version="1.0" encoding="ISO-8859-1"?>' + body.encode("latin-1"))
    utf16 = voc_xml_to_dm(('<?xml version="1.0" encoding="UTF-16"?>' + body).encode("utf-16"))
    assert utf8 == latin1 == utf16
    assert utf8[1]["filename"] == "caf\u00e9.jpg"


def test_a_strict_stop_leaves_the_target_empty(tmp_path: Path) -> None:
    make_dm_dataset(
        tmp_path / "dm",
        {None: {"a": [("bounding_box", "cat", [0, 0, 2, 2])], "b": [("bounding_box", "x", [0, 0, -1, 1])]}},
    )
    with pytest.raises(ItemError):
        convert_dm_to_voc(tmp_path / "dm", tmp_path / "voc", strict=True)
    assert list((tmp_path / "voc").iterdir()) == []
