"""DM <-> Pascal VOC (bounding boxes).

Each ``bounding_box`` becomes an ``<object>`` with ``<name>`` and ``<bndbox>`` (``xmin = x``, ``xmax = x + w``, no
pixel shift). DM attributes named ``pose``, ``truncated``, ``difficult`` and ``occluded`` map to the VOC fields of the
same name; other attributes go to ``<attributes><attribute><name/><value/></attribute></attributes>`` as datumaro
writes them. Other tools cannot be held and are counted in the report. VOC ``<part>`` boxes are counted as dropped on
import; ``<actions>`` become boolean attributes.

Layout written (and read)::

    Annotations/<name>.xml
    JPEGImages/<name>.<ext>
    ImageSets/Main/<split>.txt     item names per split (valid -> val, no split -> default)
    labelmap.txt                   one "name:::" line per class, so readers know the custom classes

XML from outside is parsed with ``defusedxml`` (no entity expansion, no external entities or DTDs).

Example:
    >>> data = {"images": [{"bounding_box": [{"classification": "cat", "data": [1, 2, 3, 4]}]}]}
    >>> xml = dm_to_voc_xml(data, file_name="a.jpg", width=10, height=10)
    >>> voc_xml_to_dm(xml)[0]["images"][0]["bounding_box"][0]["data"]
    [1.0, 2.0, 3.0, 4.0]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import Element, SubElement, tostring

from synapse_fileutils.atomic import atomic_write

from .dm import (
    DMItemBuilder,
    ItemRunner,
    annotation_attrs,
    annotation_class,
    image_annotations,
    iter_dm_items,
    read_dm_item,
    refuse_nonempty_target,
    require_dir,
    split_from_external,
    split_to_external,
    write_dm_item,
)
from .errors import ItemError
from .files import BackgroundWriter, ImageMode, place_image, safe_member, write_bytes, write_text
from .geometry import as_box, number_text
from .imagesize import IMAGE_SUFFIXES, read_image_size
from .report import ConversionReport, ProgressCallback

if TYPE_CHECKING:
    from typing import BinaryIO

__all__ = ["VocImage", "convert_dm_to_voc", "convert_voc_to_dm", "dm_to_voc_xml", "voc_xml_to_dm"]

_VOC_FIELDS = ("pose", "truncated", "difficult", "occluded")


class VocImage(dict[str, Any]):
    """What a VOC file says about its image: ``filename``, ``width``, ``height``, ``depth`` (a plain dict).

    Example:
        >>> VocImage(filename="a.jpg", width=1, height=1, depth=3)["filename"]
        'a.jpg'
    """


def _text(parent: Element, tag: str, value: Any) -> None:
    SubElement(parent, tag).text = str(value)


def dm_to_voc_xml(data: dict[str, Any], *, file_name: str, width: int, height: int, depth: int = 3) -> bytes:
    """Convert one DM v2 item to a Pascal VOC annotation document.

    Args:
        data: The DM v2 item.
        file_name: The image's file name (``<filename>``).
        width: Image width in pixels.
        height: Image height in pixels.
        depth: Colour channels.

    Returns:
        The UTF-8 XML document.

    Raises:
        ItemError: A bounding box is malformed or has no class.

    Example:
        >>> xml = dm_to_voc_xml({"images": [{}]}, file_name="a.jpg", width=4, height=3)
        >>> b"<width>4</width>" in xml
        True
    """
    root = Element("annotation")
    _text(root, "folder", "")
    _text(root, "filename", file_name)
    size = SubElement(root, "size")
    _text(size, "width", width)
    _text(size, "height", height)
    _text(size, "depth", depth)
    _text(root, "segmented", 0)
    for ann in image_annotations(data, file_name).get("bounding_box", []):
        x, y, w, h = as_box(ann.get("data"), file_name)
        obj = SubElement(root, "object")
        _text(obj, "name", annotation_class(ann, file_name))
        attrs = {a["name"]: a.get("value") for a in annotation_attrs(ann)}
        _text(obj, "pose", attrs.pop("pose", "Unspecified"))
        for flag in ("truncated", "difficult", "occluded"):
            _text(obj, flag, int(bool(attrs.pop(flag, False))))
        box = SubElement(obj, "bndbox")
        for tag, value in (("xmin", x), ("ymin", y), ("xmax", x + w), ("ymax", y + h)):
            _text(box, tag, number_text(value))
        if attrs:
            extra = SubElement(obj, "attributes")
            for attr_name, attr_value in attrs.items():
                attribute = SubElement(extra, "attribute")
                _text(attribute, "name", attr_name)
                _text(attribute, "value", attr_value)
    return bytes(tostring(root, encoding="utf-8", xml_declaration=True))


def _number(element: Element | None, tag: str) -> float:
    node = element.find(tag) if element is not None else None
    try:
        return float((node.text or "").strip()) if node is not None else float("nan")
    except ValueError:
        return float("nan")


def _value(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def voc_xml_to_dm(xml: bytes, label: str = "item") -> tuple[dict[str, Any], VocImage]:
    """Convert one Pascal VOC annotation document to a DM v2 item.

    Args:
        xml: The document's bytes.
        label: Names the file in errors.

    Returns:
        The DM v2 item and the image facts the document states.

    Raises:
        ItemError: The XML is malformed, unsafe (entities, DTDs), or an object has no name or a bad box.

    Example:
        >>> voc_xml_to_dm(b"<annotation><filename>a.jpg</filename></annotation>")[1]["filename"]
        'a.jpg'
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        root = fromstring(xml, forbid_dtd=True)
    except (ParseError, DefusedXmlException) as exc:
        raise ItemError(label, f"not a safe, well-formed XML document: {exc}") from exc
    if root.tag != "annotation":
        raise ItemError(label, f"root element is <{root.tag}>, not <annotation>")
    size = root.find("size")
    image = VocImage(
        filename=(root.findtext("filename") or "").strip(),
        width=int(_number(size, "width")) if size is not None and size.findtext("width") else 0,
        height=int(_number(size, "height")) if size is not None and size.findtext("height") else 0,
        depth=int(_number(size, "depth")) if size is not None and size.findtext("depth") else 3,
    )
    builder = DMItemBuilder()
    for obj in root.findall("object"):
        name = (obj.findtext("name") or "").strip()
        if not name:
            raise ItemError(label, "an <object> has no <name>")
        box = obj.find("bndbox")
        xmin, ymin, xmax, ymax = (_number(box, t) for t in ("xmin", "ymin", "xmax", "ymax"))
        data = as_box([xmin, ymin, xmax - xmin, ymax - ymin], label)
        attrs: list[dict[str, Any]] = []
        pose = obj.findtext("pose")
        if pose is not None and pose.strip() not in ("", "Unspecified"):
            attrs.append({"name": "pose", "value": pose.strip()})
        for flag in ("truncated", "difficult", "occluded"):
            text = obj.findtext(flag)
            if text is not None and text.strip() not in ("", "0"):
                attrs.append({"name": flag, "value": True})
        actions = obj.find("actions")
        for action in actions if actions is not None else ():
            attrs.append({"name": action.tag, "value": (action.text or "").strip() == "1"})
        for attribute in obj.findall("attributes/attribute"):
            attrs.append({"name": attribute.findtext("name") or "", "value": _value(attribute.findtext("value") or "")})
        builder.add("bounding_box", name, data, attrs)
    return builder.build(), image


def convert_dm_to_voc(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    image_mode: ImageMode = "copy",
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    r"""Convert a DM dataset folder to Pascal VOC, one item at a time.

    Args:
        source: The DM dataset folder.
        target: The VOC dataset folder to create (must be empty or missing).
        image_mode: How images are placed: ``copy``, ``link``, ``symlink`` or ``none``.
        strict: Stop at the first bad item instead of reporting it and going on.
        progress: Called with the number of items handled so far.

    Returns:
        What was converted, what failed and why, what VOC could not hold, and the class names met.

    Raises:
        LayoutError: ``source`` is not a DM dataset.
        ConversionError: ``target`` is not empty.
        ItemError: In strict mode, the first bad item.

    Example:
        >>> import pathlib, tempfile
        >>> from synapse_plugins.converters.testing import make_dm_dataset
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> make_dm_dataset(root / "dm", {"train": {"a": [("bounding_box", "cat", [0, 0, 3, 3])]}})
        >>> convert_dm_to_voc(root / "dm", root / "voc").converted
        1
        >>> (root / "voc" / "ImageSets" / "Main" / "train.txt").read_text()
        'a\n'
    """
    source, target = Path(source), Path(target)
    items = iter_dm_items(source)
    refuse_nonempty_target(target)
    report = ConversionReport()
    runner = ItemRunner(report, strict=strict, progress=progress)
    lists: dict[str, tuple[Any, BinaryIO]] = {}
    (target / "ImageSets" / "Main").mkdir(parents=True)
    try:
        with BackgroundWriter() as writer:
            for item in items:
                with runner.item(item.label):
                    data = read_dm_item(item)
                    if item.image_path is None:
                        raise ItemError(item.label, f"no image named {item.name}.* in original_files")
                    width, height = read_image_size(item.image_path)
                    xml = dm_to_voc_xml(data, file_name=item.image_path.name, width=width, height=height)
                    writer.submit(
                        place_image, item.image_path, target / "JPEGImages" / item.image_path.name, image_mode
                    )
                    writer.submit(write_bytes, target / "Annotations" / f"{item.name}.xml", xml)
                    split = split_to_external(item.split)
                    if split not in lists:  # the split list is written as items come and appears complete at the end
                        context = atomic_write(target / "ImageSets" / "Main" / f"{split}.txt")
                        lists[split] = (context, context.__enter__())
                    lists[split][1].write(f"{item.name}\n".encode())
                    for tool, anns in image_annotations(data).items():
                        if tool == "bounding_box":
                            for ann in anns:
                                if (name := annotation_class(ann)) not in report.classes:
                                    report.classes.append(name)
                        else:
                            report.drop(tool, len(anns))
    except BaseException as exc:
        for context, _ in lists.values():
            context.__exit__(type(exc), exc, exc.__traceback__)
        raise
    for context, _ in lists.values():
        context.__exit__(None, None, None)
    labelmap = "# label:color_rgb:parts:actions\n" + "".join(f"{name}:::\n" for name in report.classes)
    write_text(target / "labelmap.txt", labelmap)
    return report


def _voc_splits(source: Path) -> list[tuple[str, list[str]]]:
    main = source / "ImageSets" / "Main"
    lists = []
    for name in ("train", "val", "test", "default"):
        path = main / f"{name}.txt"
        if path.is_file():
            stems = [line.split()[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            lists.append((name, stems))
    if not lists:  # no split lists: every annotation file is one unsplit item
        stems = sorted(p.stem for p in (source / "Annotations").glob("*.xml"))
        lists.append(("default", stems))
    return lists


def convert_voc_to_dm(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    image_mode: ImageMode = "copy",
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    """Convert a Pascal VOC dataset folder to a DM dataset folder, one item at a time.

    Splits come from ``ImageSets/Main/{train,val,test}.txt``; without them every ``Annotations/*.xml`` is one unsplit
    item. A listed item without an XML file becomes an item without annotations (its image size read from the image).

    Args:
        source: The VOC dataset folder (with ``Annotations/`` and ``JPEGImages/``).
        target: The DM dataset folder to create (must be empty or missing).
        image_mode: How images are placed: ``copy``, ``link``, ``symlink`` or ``none``.
        strict: Stop at the first bad item instead of reporting it and going on.
        progress: Called with the number of items handled so far.

    Returns:
        What was converted and what failed and why; ``dropped`` counts VOC ``part`` boxes.

    Raises:
        LayoutError: ``source`` has no ``JPEGImages/`` folder.
        ConversionError: ``target`` is not empty.
        ItemError: In strict mode, the first bad item.

    Example:
        >>> import pathlib, tempfile
        >>> from synapse_plugins.converters.testing import make_dm_dataset
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> make_dm_dataset(root / "dm", {"valid": {"a": [("bounding_box", "cat", [0, 0, 3, 3])]}})
        >>> _ = convert_dm_to_voc(root / "dm", root / "voc")
        >>> convert_voc_to_dm(root / "voc", root / "back").converted
        1
        >>> (root / "back" / "valid" / "json" / "a.json").is_file()
        True
    """
    source, target = Path(source), Path(target)
    require_dir(source / "JPEGImages", "JPEGImages")
    splits = _voc_splits(source)
    refuse_nonempty_target(target)
    report = ConversionReport()
    runner = ItemRunner(report, strict=strict, progress=progress)
    with BackgroundWriter() as writer:
        for external_split, stems in splits:
            split = split_from_external(external_split)
            for stem in stems:
                xml_path = safe_member(source / "Annotations", f"{stem}.xml")
                with runner.item(f"Annotations/{stem}.xml"):
                    if xml_path.is_file():
                        xml = xml_path.read_bytes()
                        data, image = voc_xml_to_dm(xml, f"Annotations/{stem}.xml")
                        report.drop("part", xml.count(b"<part>"))
                        image_name = image["filename"] or stem
                    else:
                        data, image_name = DMItemBuilder().build(), stem
                    image_path = safe_member(source / "JPEGImages", image_name)
                    if not image_path.is_file():
                        image_path = next(
                            (p for s in IMAGE_SUFFIXES if (p := source / "JPEGImages" / f"{stem}{s}").is_file()),
                            image_path,
                        )
                    if not image_path.is_file():
                        raise ItemError(f"JPEGImages/{image_name}", "image file not found")
                    read_image_size(image_path)  # a broken image is reported here, not by the user's trainer
                    for ann in image_annotations(data).get("bounding_box", []):
                        if (name := annotation_class(ann)) not in report.classes:
                            report.classes.append(name)
                    writer.submit(
                        write_dm_item, target, split, name=stem, data=data, image=image_path, image_mode=image_mode
                    )
    return report
