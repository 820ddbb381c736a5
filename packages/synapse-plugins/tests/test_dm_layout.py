"""DM dataset layout, image headers and RLE masks: the pieces every converter stands on."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pycocotools import mask as coco_mask

from synapse_plugins.converters import ItemError, LayoutError, iter_dm_items, read_dm_item
from synapse_plugins.converters.files import place_image, safe_member
from synapse_plugins.converters.imagesize import read_image_size
from synapse_plugins.converters.rle import pixels_to_rle, rle_to_pixels
from synapse_plugins.converters.testing import make_dm_dataset, png_bytes

# pycocotools 2.0 decodes masks with numpy 1 array semantics; numpy 2 warns about it inside pycocotools.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def test_items_come_split_by_split_in_name_order_with_their_images(tmp_path: Path) -> None:
    make_dm_dataset(tmp_path, {"valid": {"b": [], "a": []}, "train": {"z": []}})
    (tmp_path / "train" / "original_files" / "z.png").rename(tmp_path / "train" / "original_files" / "z.tiff")
    items = list(iter_dm_items(tmp_path))
    assert [(i.split, i.name, i.label) for i in items] == [
        ("train", "z", "train/json/z.json"),
        ("valid", "a", "valid/json/a.json"),
        ("valid", "b", "valid/json/b.json"),
    ]
    assert items[0].image_path == tmp_path / "train" / "original_files" / "z.tiff"  # unusual suffix still found


def test_a_folder_without_json_is_not_a_dm_dataset(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="not a DM dataset"):
        list(iter_dm_items(tmp_path))


def test_malformed_item_files_are_item_errors(tmp_path: Path) -> None:
    (tmp_path / "json").mkdir()
    cases = {"list": "[]", "images": '{"images": {}}', "tool": '{"images": [{"bounding_box": {}}]}'}
    for name, text in cases.items():
        (tmp_path / "json" / f"{name}.json").write_text(text)
    reasons = {}
    for item in iter_dm_items(tmp_path):
        with pytest.raises(ItemError) as caught:
            read_dm_item(item)
        reasons[item.name] = caught.value.reason
    assert reasons == {
        "images": "'images' must be a list",
        "list": "annotation file must hold a JSON object",
        "tool": "'bounding_box' must be a list of objects",
    }


@pytest.mark.parametrize("name", ["../x.jpg", "/etc/passwd", "a/../../x.jpg", "C:/x.jpg", "..\\x.jpg", ""])
def test_names_that_leave_the_dataset_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ItemError, match="path leaves the dataset folder"):
        safe_member(tmp_path, name)


@pytest.mark.parametrize("mode", ["copy", "link", "symlink"])
def test_images_are_placed_by_copy_or_link(tmp_path: Path, mode: str) -> None:
    (tmp_path / "a.png").write_bytes(b"png")
    place_image(tmp_path / "a.png", tmp_path / "out" / "a.png", mode)  # type: ignore[arg-type]
    assert (tmp_path / "out" / "a.png").read_bytes() == b"png"
    assert (tmp_path / "out" / "a.png").is_symlink() == (mode == "symlink")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png"]  # no temp file left


def jpeg_bytes(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


@given(st.integers(1, 5000), st.integers(1, 5000))
def test_header_sizes_of_png_jpeg_gif_bmp(width: int, height: int) -> None:
    import tempfile

    headers = {
        "png": png_bytes(1, 1)[:16] + struct.pack(">II", width, height) + b"\x08\x00\x00\x00\x00",
        "jpg": jpeg_bytes(width, height),
        "gif": b"GIF89a" + struct.pack("<HH", width, height) + b"\x00" * 8,
        "bmp": b"BM" + b"\x00" * 16 + struct.pack("<ii", width, -height) + b"\x00" * 8,
    }
    with tempfile.TemporaryDirectory() as folder:
        for suffix, content in headers.items():
            path = Path(folder) / f"x.{suffix}"
            path.write_bytes(content)
            assert read_image_size(path) == (width, height)


def test_corpus_jpegs_and_broken_files(tmp_path: Path) -> None:
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "cut.jpg").write_bytes(jpeg_bytes(4, 4)[:25])
    for name, reason in (("empty.jpg", "not a PNG"), ("cut.jpg", "truncated"), ("missing.jpg", "cannot read")):
        with pytest.raises(ItemError, match=reason):
            read_image_size(tmp_path / name)


masks = st.integers(1, 12).flatmap(
    lambda h: st.integers(1, 12).flatmap(
        lambda w: st.lists(st.booleans(), min_size=w * h, max_size=w * h).map(
            lambda bits: np.array(bits, dtype=np.uint8).reshape(h, w)
        )
    )
)


@given(masks)
def test_rle_agrees_with_pycocotools(mask: np.ndarray) -> None:
    height, width = mask.shape
    pixels = [int(i) for i in np.flatnonzero(mask.ravel(order="C"))]
    ours = pixels_to_rle(pixels, width, height)
    decoded = coco_mask.decode(coco_mask.frPyObjects(ours, height, width))
    assert (decoded == mask).all()
    theirs = coco_mask.encode(np.asfortranarray(mask))
    assert rle_to_pixels(theirs) == pixels
    assert rle_to_pixels(json.loads(json.dumps(ours))) == pixels
