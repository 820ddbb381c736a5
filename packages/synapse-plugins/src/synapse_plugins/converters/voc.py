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

import functools
import math
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dm import (
    DMItemBuilder,
    annotation_attrs,
    annotation_class,
    image_annotations,
    refuse_nonempty_target,
    require_dir,
    split_from_external,
    split_to_external,
    walk_files,
)
from .dmfolder import DmWriter, NameRegistry, read_dm
from .errors import ItemError, LayoutError
from .files import ImageMode, StagedOutput, read_file, safe_member, write_text
from .geometry import as_box, number_text
from .imagesize import IMAGE_SUFFIXES, image_size_if_present
from .records import DMRecord, PendingItem, run_pipeline
from .report import ConversionReport, ProgressCallback

if TYPE_CHECKING:
    from typing import BinaryIO
    from xml.etree.ElementTree import Element

__all__ = [
    "VocImage",
    "VocWriter",
    "convert_dm_to_voc",
    "convert_voc_to_dm",
    "dm_box_from_voc",
    "dm_to_voc_xml",
    "read_voc",
    "voc_box",
    "voc_document",
    "voc_xml_to_dm",
]

_VOC_FIELDS = ("pose", "truncated", "difficult", "occluded")
_SNAP = 1e-6  # pixels


class VocImage(dict[str, Any]):
    """What a VOC file says about its image: ``filename``, ``width``, ``height``, ``depth`` (a plain dict).

    Example:
        >>> VocImage(filename="a.jpg", width=1, height=1, depth=3)["filename"]
        'a.jpg'
    """


def voc_box(box: list[float], *, one_based: bool = True) -> tuple[list[float], bool]:
    """Return ``[xmin, ymin, xmax, ymax]`` of a DM box ``[x, y, w, h]`` for a VOC file, and whether it was rounded.

    The VOC devkit counts pixels from 1 and includes both ends: a box covering pixels 0..9 of a DM image (``x = 0,
    w = 10``) is ``xmin = 1, xmax = 10``. A box that does not lie on whole pixels is widened to the pixels it
    touches (``floor(x) + 1``, ``ceil(x + w)``), the same as datumaro's one-based mode and what detectron2's
    loader undoes. ``one_based=False`` writes ``x`` and ``x + w`` as they are.

    Args:
        box: ``[x, y, w, h]`` in DM pixels.
        one_based: Write the devkit's 1-based inclusive pixels.

    Returns:
        The four corner values and whether a sub-pixel coordinate was rounded.

    Example:
        >>> voc_box([0, 0, 10, 5])
        ([1, 1, 10, 5], False)
        >>> voc_box([0.5, 0, 10, 5])
        ([1, 1, 11, 5], True)
        >>> voc_box([0.5, 0, 10, 5], one_based=False)
        ([0.5, 0, 10.5, 5], False)
    """
    x, y, w, h = box
    if not one_based:
        return [x, y, x + w, y + h], False
    # A coordinate a hair off a whole pixel is float noise from relative coordinates (a YOLO source), not a
    # sub-pixel edge: snap it first, or floor/ceil would move the box by a whole pixel.
    x1, y1, x2, y2 = (_snap(v) for v in (x, y, x + w, y + h))
    corners: list[float] = [math.floor(x1) + 1, math.floor(y1) + 1, math.ceil(x2), math.ceil(y2)]
    rounded = not all(float(v).is_integer() for v in (x1, y1, x2, y2))
    return corners, rounded


def _snap(value: float) -> float:
    nearest = round(value)
    return float(nearest) if abs(value - nearest) < _SNAP else value


def dm_box_from_voc(corners: list[float], *, one_based: bool = True) -> list[float]:
    """Return the DM box ``[x, y, w, h]`` of VOC corners, the reverse of ``voc_box``.

    Args:
        corners: ``[xmin, ymin, xmax, ymax]`` from the file.
        one_based: The file uses the devkit's 1-based inclusive pixels.

    Returns:
        The box in DM pixels.

    Example:
        >>> dm_box_from_voc([1, 1, 10, 5])
        [0, 0, 10, 5]
    """
    xmin, ymin, xmax, ymax = corners
    if one_based:
        xmin, ymin = xmin - 1, ymin - 1
    return [xmin, ymin, xmax - xmin, ymax - ymin]


def dm_to_voc_xml(
    data: dict[str, Any], *, file_name: str, width: int, height: int, depth: int = 3, one_based: bool = True
) -> bytes:
    """Convert one DM v2 item to a Pascal VOC annotation document.

    Args:
        data: The DM v2 item.
        file_name: The image's file name (``<filename>``).
        width: Image width in pixels.
        height: Image height in pixels.
        depth: Colour channels.
        one_based: Write boxes in the devkit's 1-based inclusive pixels (see
            [`voc_box`][synapse_plugins.converters.voc.voc_box]); ``False`` writes ``x`` and ``x + w`` unshifted.

    Returns:
        The UTF-8 XML document.

    Raises:
        ItemError: A bounding box is malformed or has no class.

    Example:
        >>> xml = dm_to_voc_xml({"images": [{}]}, file_name="a.jpg", width=4, height=3)
        >>> b"<width>4</width>" in xml
        True
    """
    return voc_document(data, file_name=file_name, width=width, height=height, depth=depth, one_based=one_based)[0]


def _escape(value: Any) -> str:
    text = str(value)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def voc_document(
    data: dict[str, Any], *, file_name: str, width: int, height: int, depth: int = 3, one_based: bool = True
) -> tuple[bytes, int]:
    """Build the VOC document of one DM item, and count the boxes rounded to whole pixels.

    The document is written as text (the elements are fixed and few), several times faster than building an
    ElementTree and serializing it; values are escaped the way ElementTree escapes them.

    Args:
        data: The DM v2 item.
        file_name: The image's file name.
        width: Image width in pixels.
        height: Image height in pixels.
        depth: Colour channels.
        one_based: Write the devkit's 1-based inclusive pixels.

    Returns:
        The UTF-8 document and how many boxes were rounded.

    Raises:
        ItemError: A bounding box is malformed or has no class.

    Example:
        >>> data = {"images": [{"bounding_box": [{"classification": "a&b", "data": [0.5, 0, 2, 2]}]}]}
        >>> xml, rounded = voc_document(data, file_name="x.jpg", width=4, height=4)
        >>> b"<name>a&amp;b</name>" in xml, b"<xmax>3</xmax>" in xml, rounded
        (True, True, 1)
    """
    parts = [
        "<?xml version='1.0' encoding='utf-8'?>\n<annotation><folder></folder>",
        f"<filename>{_escape(file_name)}</filename><size><width>{width}</width><height>{height}</height>",
        f"<depth>{depth}</depth></size><segmented>0</segmented>",
    ]
    rounded = 0
    for ann in image_annotations(data, file_name).get("bounding_box", []):
        box = as_box(ann.get("data"), file_name)
        name = annotation_class(ann, file_name)
        attrs = {a["name"]: a.get("value") for a in annotation_attrs(ann)} if ann.get("attrs") else {}
        flags = "".join(
            f"<{flag}>{int(bool(attrs.pop(flag, False)))}</{flag}>" for flag in ("truncated", "difficult", "occluded")
        )
        corners, was_rounded = voc_box(box, one_based=one_based)
        rounded += was_rounded
        xmin, ymin, xmax, ymax = (number_text(v) for v in corners)
        parts.append(
            f"<object><name>{_escape(name)}</name><pose>{_escape(attrs.pop('pose', 'Unspecified'))}</pose>{flags}"
            f"<bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox>"
        )
        if attrs:
            parts.append("<attributes>")
            parts += [
                f"<attribute><name>{_escape(k)}</name><value>{_escape(v)}</value></attribute>" for k, v in attrs.items()
            ]
            parts.append("</attributes>")
        parts.append("</object>")
    parts.append("</annotation>")
    return "".join(parts).encode("utf-8"), rounded


def _number(element: Element | None, tag: str) -> float:
    node = element.find(tag) if element is not None else None
    text = (node.text or "").strip() if node is not None else ""
    try:
        return float(text) if text.isascii() else float("nan")
    except ValueError:
        return float("nan")


def _size(size: Element | None, tag: str, default: int, label: str) -> int:
    text = (size.findtext(tag) or "").strip() if size is not None else ""
    if not text:
        return default
    value = _number(size, tag)
    if not math.isfinite(value) or not value.is_integer() or not 0 <= value <= 1 << 20:
        raise ItemError(label, f"<{tag}> {text[:20]!r} is not a whole number of pixels")
    return int(value)


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


# An XML declaration's encoding; only these keep "<!DOCTYPE" visible as ASCII bytes.
_DECLARED_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_ASCII_ENCODINGS = frozenset((b"utf-8", b"utf8", b"us-ascii", b"ascii", b"iso-8859-1", b"latin-1", b"latin1"))


def _without_dtd(xml: bytes) -> bool:
    """Whether the document certainly has no DTD: ASCII-compatible bytes without ``<!DOCTYPE`` or ``<!ENTITY``."""
    if b"\x00" in xml or b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:  # NUL bytes: UTF-16/32, checked by defusedxml
        return False
    stripped = xml.lstrip()
    if not stripped.startswith((b"<", b"\xef\xbb\xbf<")):
        return False
    declared = _DECLARED_ENCODING.match(stripped)
    return declared is None or declared.group(1).lower() in _ASCII_ENCODINGS


def _parse_xml(xml: bytes, label: str) -> Element:
    # A document without a DTD can declare no entity, so it can neither expand nor reach out: the C parser reads it
    # safely and several times faster. Anything else goes through defusedxml, which refuses DTDs.
    if _without_dtd(xml):
        from xml.etree.ElementTree import ParseError as PlainParseError
        from xml.etree.ElementTree import XMLParser

        try:
            parser = XMLParser()  # noqa: S314 - no DTD, so no entity to expand or fetch (checked above)
            parser.feed(xml)
            return parser.close()
        except PlainParseError as exc:
            raise ItemError(label, f"not a safe, well-formed XML document: {exc}") from exc
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        return fromstring(xml, forbid_dtd=True)  # type: ignore[no-any-return]
    except (ParseError, DefusedXmlException) as exc:
        raise ItemError(label, f"not a safe, well-formed XML document: {exc}") from exc


def voc_xml_to_dm(xml: bytes, label: str = "item", *, one_based: bool = True) -> tuple[dict[str, Any], VocImage]:
    """Convert one Pascal VOC annotation document to a DM v2 item.

    Args:
        xml: The document's bytes.
        label: Names the file in errors.
        one_based: The file uses the devkit's 1-based inclusive pixels (``xmin = 1`` is the first pixel column);
            ``False`` reads the corners unshifted.

    Returns:
        The DM v2 item and the image facts the document states.

    Raises:
        ItemError: The XML is malformed, unsafe (entities, DTDs), or an object has no name or a bad box.

    Example:
        >>> voc_xml_to_dm(b"<annotation><filename>a.jpg</filename></annotation>")[1]["filename"]
        'a.jpg'
    """
    root = _parse_xml(xml, label)
    if root.tag != "annotation":
        raise ItemError(label, f"root element is <{root.tag}>, not <annotation>")
    size = root.find("size")
    image = VocImage(
        filename=(root.findtext("filename") or "").strip(),
        width=_size(size, "width", 0, label),
        height=_size(size, "height", 0, label),
        depth=_size(size, "depth", 3, label),
    )
    builder = DMItemBuilder()
    for obj in root.findall("object"):
        name = (obj.findtext("name") or "").strip()
        if not name:
            raise ItemError(label, "an <object> has no <name>")
        box = obj.find("bndbox")
        xmin, ymin, xmax, ymax = (_number(box, t) for t in ("xmin", "ymin", "xmax", "ymax"))
        data = as_box(dm_box_from_voc([xmin, ymin, xmax, ymax], one_based=one_based), label)
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


class VocWriter:
    """Write DM records as a Pascal VOC dataset (``Annotations/``, ``JPEGImages/``, ``ImageSets/Main/``).

    VOC has no split folders: an item's name must be unique across splits (a second item of that name fails).

    Args:
        target: The folder to create (must be empty or missing).
        image_mode: How images are placed.
        one_based: Write the devkit's 1-based inclusive pixels (the standard); ``False`` writes ``x`` and ``x + w``.

    Raises:
        ConversionError: ``target`` is not empty.

    Example:
        >>> import pathlib, tempfile
        >>> VocWriter(pathlib.Path(tempfile.mkdtemp()) / "new", "none").one_based
        True
    """

    def __init__(self, target: Path, image_mode: ImageMode, *, one_based: bool = True) -> None:
        refuse_nonempty_target(target)
        self._out = StagedOutput(target)
        self.target = self._out.root
        (self.target / "ImageSets" / "Main").mkdir(parents=True)
        self.image_mode = image_mode
        self.one_based = one_based
        self._lists: dict[str, BinaryIO] = {}
        self._names = NameRegistry()
        self._classes: list[str] = []

    def add(self, record: DMRecord, report: ConversionReport) -> None:
        """Convert one record to an annotation file and queue its files.

        Args:
            record: The item.
            report: Counts what VOC cannot hold and the boxes rounded to whole pixels.

        Raises:
            ItemError: The item is malformed or its name is taken.
        """
        xml_path = safe_member(self.target / "Annotations", f"{record.name}.xml")
        suffix = record.image.suffix if record.image is not None else ""
        image_name = f"{record.name}{suffix}"
        image_path = safe_member(self.target / "JPEGImages", image_name)
        width, height = record.image_size()
        xml, rounded = voc_document(
            record.data, file_name=image_name, width=width, height=height, one_based=self.one_based
        )
        report.adjust("rounded_to_pixels", rounded)
        self._names.claim(None, record.name, f"Annotations/{record.name}.xml")
        if record.image is not None:
            self._out.place(record.image, image_path, self.image_mode)
        self._out.write(xml_path, xml)
        split = split_to_external(record.split)
        if split not in self._lists:  # the split list is written as items come (staged, so never seen partial)
            self._lists[split] = open(self.target / "ImageSets" / "Main" / f"{split}.txt", "xb")  # noqa: SIM115
        self._lists[split].write(f"{record.name}\n".encode())
        for tool, anns in image_annotations(record.data).items():
            if tool == "bounding_box":
                for ann in anns:
                    if (name := annotation_class(ann)) not in self._classes:
                        self._classes.append(name)
            else:
                report.drop(tool, len(anns))

    def close(self, report: ConversionReport) -> None:
        """Flush the files, complete the split lists and write ``labelmap.txt``.

        Args:
            report: Gets the class names met.
        """
        self._close_lists()
        labelmap = "# label:color_rgb:parts:actions\n" + "".join(f"{name}:::\n" for name in self._classes)
        write_text(self.target / "labelmap.txt", labelmap)
        self._out.commit()
        report.classes = list(self._classes)

    def abort(self) -> None:
        """Remove everything written; the target stays empty."""
        self._close_lists()
        self._out.discard()

    def _close_lists(self) -> None:
        for file in self._lists.values():
            file.close()
        self._lists.clear()


def convert_dm_to_voc(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    one_based: bool = True,
    image_mode: ImageMode = "copy",
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    r"""Convert a DM dataset folder to Pascal VOC, one item at a time.

    Args:
        source: The DM dataset folder.
        target: The VOC dataset folder to create (must be empty or missing).
        one_based: Write the devkit's 1-based inclusive pixels (default); ``False`` for the unshifted form.
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
    items = read_dm(source)
    writer = VocWriter(Path(target), image_mode, one_based=one_based)
    return run_pipeline(items, writer, ConversionReport(), strict=strict, progress=progress)


def _voc_splits(source: Path) -> list[tuple[str, list[str]]]:
    main = source / "ImageSets" / "Main"
    lists = []
    for name in ("train", "val", "test", "default"):
        path = main / f"{name}.txt"
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise LayoutError(f"ImageSets/Main/{name}.txt", f"not UTF-8 text (byte {exc.start})") from exc
            stems = [line.split()[0] for line in text.splitlines() if line.strip()]
            lists.append((name, stems))
    if not lists:  # no split lists: every annotation file is one unsplit item
        stems = [n[: -len(".xml")] for n in walk_files(source / "Annotations") if n.endswith(".xml")]
        lists.append(("default", stems))
    return lists


def read_voc(
    source: str | os.PathLike[str], report: ConversionReport, *, one_based: bool = True
) -> Iterator[PendingItem]:
    """Yield the items of a Pascal VOC dataset as pending DM records.

    Splits come from ``ImageSets/Main/{train,val,test}.txt``; without them every ``Annotations/**/*.xml`` is one
    unsplit item. A listed item without an XML file becomes an item without annotations. VOC ``<part>`` boxes are
    counted as dropped.

    Args:
        source: The VOC dataset folder (with ``Annotations/`` and ``JPEGImages/``).
        report: Gets the class names met and the dropped parts.
        one_based: The files use the devkit's 1-based inclusive pixels (the standard).

    Returns:
        The pending items.

    Raises:
        LayoutError: ``source`` has no ``JPEGImages/`` folder.

    Example:
        >>> import pathlib, tempfile
        >>> read_voc(pathlib.Path(tempfile.mkdtemp()), ConversionReport())
        Traceback (most recent call last):
        ...
        synapse_plugins.converters.errors.LayoutError: ...: JPEGImages folder not found
    """
    source = Path(source)
    require_dir(source / "JPEGImages", "JPEGImages")
    splits = _voc_splits(source)

    lock = threading.Lock()  # items load on reader threads; the report is shared

    def generate() -> Iterator[PendingItem]:
        for external_split, stems in splits:
            split = split_from_external(external_split)
            for stem in stems:
                label = f"Annotations/{stem}.xml"
                load = functools.partial(_load_voc_item, source, split, stem, report, one_based, lock)
                yield PendingItem(label, load)

    return generate()


def _load_voc_item(  # noqa: PLR0917 - bound with functools.partial
    source: Path, split: str | None, stem: str, report: ConversionReport, one_based: bool, lock: threading.Lock
) -> DMRecord:
    label = f"Annotations/{stem}.xml"
    xml_path = safe_member(source / "Annotations", f"{stem}.xml")
    size: tuple[int, int] | None = None
    try:
        xml: bytes | None = read_file(xml_path)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):  # listed, but no annotation file
        xml = None
    if xml is not None:
        data, image = voc_xml_to_dm(xml, label, one_based=one_based)
        parts = xml.count(b"<part>")
        image_name = image["filename"] or stem
        if image["width"] and image["height"]:
            size = (image["width"], image["height"])
    else:
        data, image_name, parts = DMItemBuilder().build(), stem, 0
    # The image's header is read where it is found: one open tells both that it is there and how big it is (a
    # broken image is reported here, not by the user's trainer).
    image_path = safe_member(source / "JPEGImages", image_name)
    real = image_size_if_present(image_path)
    for suffix in IMAGE_SUFFIXES if real is None else ():
        candidate = safe_member(source / "JPEGImages", f"{stem}{suffix}")
        if (real := image_size_if_present(candidate)) is not None:
            image_path = candidate
            break
    if real is None:
        raise ItemError(f"JPEGImages/{image_name}", "image file not found")
    if size is not None and size != real:
        raise ItemError(label, f"<size> says {size[0]}x{size[1]}, the image is {real[0]}x{real[1]}")
    names = [annotation_class(ann) for ann in image_annotations(data).get("bounding_box", [])]
    with lock:
        report.drop("part", parts)
        report.classes += [n for n in dict.fromkeys(names) if n not in report.classes]
    return DMRecord(split, stem, data, image_path, real)


def convert_voc_to_dm(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    one_based: bool = True,
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
        one_based: The files use the devkit's 1-based inclusive pixels (default); ``False`` reads them unshifted.
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
    report = ConversionReport()
    items = read_voc(source, report, one_based=one_based)
    writer = DmWriter(Path(target), image_mode)
    return run_pipeline(items, writer, report, strict=strict, progress=progress)
