"""Make small DM datasets on disk, for tests, examples and benchmarks.

Example:
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> make_dm_dataset(root, {None: {"a": [("bounding_box", "cat", [0, 0, 2, 2])]}}, size=(4, 3))
    >>> sorted(p.relative_to(root).as_posix() for p in root.rglob("*.*"))
    ['json/a.json', 'original_files/a.png']
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synapse_fileutils.atomic import atomic_write

from .dm import DMItemBuilder, annotation_attrs, annotation_class, image_annotations
from .files import write_json

__all__ = ["canonical_annotations", "make_dm_dataset", "png_bytes"]

#: One annotation in a dataset spec: (tool, class name, data).
AnnotationSpec = tuple[str, str, Any]


def png_bytes(width: int, height: int) -> bytes:
    r"""Return a valid black grayscale PNG of the given size.

    Args:
        width: Width in pixels.
        height: Height in pixels.

    Returns:
        The PNG file's bytes.

    Example:
        >>> png_bytes(2, 1)[:8]
        b'\x89PNG\r\n\x1a\n'
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x00" * width for _ in range(height)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def make_dm_dataset(
    root: Path,
    spec: Mapping[str | None, Mapping[str, Sequence[AnnotationSpec] | dict[str, Any]]],
    *,
    size: tuple[int, int] = (64, 48),
) -> None:
    """Write a DM dataset: per split (``None`` for unsplit), per item name, its annotations and a PNG image.

    Args:
        root: The dataset folder (created).
        spec: ``{split: {name: [(tool, class, data), ...] or a whole DM item dict}}``.
        size: ``(width, height)`` of every image.

    Example:
        >>> import pathlib, tempfile, json
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> make_dm_dataset(root, {"valid": {"x": [("polygon", "a", [[0, 0], [1, 0], [1, 1]])]}})
        >>> json.loads((root / "valid/json/x.json").read_text())["classification"]
        {'polygon': ['a']}
    """
    image = png_bytes(*size)
    for split, items in spec.items():
        base = root / split if split else root
        (base / "original_files").mkdir(parents=True, exist_ok=True)
        for name, content in items.items():
            if isinstance(content, dict):
                data = content
            else:
                builder = DMItemBuilder()
                for tool, class_name, ann_data in content:
                    builder.add(tool, class_name, ann_data)
                data = builder.build()
            write_json(base / "json" / f"{name}.json", data)
            with atomic_write(base / "original_files" / f"{name}.png") as file:
                file.write(image)


def _rounded(value: Any, digits: int) -> Any:
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        return round(float(value), digits) + 0.0  # + 0.0 folds -0.0 into 0.0
    if isinstance(value, (list, tuple)):
        return tuple(_rounded(v, digits) for v in value)
    return value


def canonical_annotations(data: dict[str, Any], *, digits: int = 6) -> list[Any]:
    """Return an item's annotations in a form that ignores ids, order and float noise, to compare round trips.

    Each annotation becomes ``(tool, class, data rounded to digits, sorted attrs)``; a group becomes ``("group",
    class, sorted members)`` with its members in the same form.

    Args:
        data: A DM v2 item.
        digits: Decimal digits kept of every coordinate.

    Returns:
        A sorted list that is equal for two items holding the same annotations.

    Example:
        >>> a = {"images": [{"bounding_box": [{"id": "x", "classification": "c", "data": [1, 2, 3, 4.0000001]}]}]}
        >>> b = {"images": [{"bounding_box": [{"id": "y", "classification": "c", "data": [1.0, 2, 3, 4]}]}]}
        >>> canonical_annotations(a) == canonical_annotations(b)
        True
    """
    tools = image_annotations(data)
    by_id = {a.get("id"): (tool, a) for tool, anns in tools.items() for a in anns}

    def key(tool: str, ann: dict[str, Any]) -> tuple[Any, ...]:
        attrs = tuple(sorted((a["name"], repr(a.get("value"))) for a in annotation_attrs(ann)))
        return (tool, annotation_class(ann), _rounded(ann.get("data"), digits), attrs)

    result: list[Any] = []
    for tool, anns in tools.items():
        for ann in anns:
            if tool == "group":
                members = tuple(sorted((key(*by_id[m]) for m in ann.get("data") or [] if m in by_id), key=repr))
                result.append(("group", annotation_class(ann), members))
            else:
                result.append(key(tool, ann))
    return sorted(result, key=repr)
