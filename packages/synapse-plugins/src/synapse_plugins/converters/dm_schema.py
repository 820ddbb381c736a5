"""DM annotation schema v1 (the editor's format) <-> v2 (the dataset format).

v1 keeps, per media id (``image_1``, ``video_1``...), a list of ``annotations`` (``id``, ``tool``, ``classification``
object with ``class`` and attribute keys, editor flags such as ``isLocked``) and a list of ``annotationsData`` with the
geometry under the same ``id``. v2 keeps, per media type (``images``, ``videos``...), a list of media, each holding its
annotations keyed by tool as ``{id, classification, attrs: [{name, value}], data}``.

Per tool:

| tool | v1 `annotationsData` | v2 `data` |
|---|---|---|
| `bounding_box` | `coordinate {x, y, width, height}` | `[x, y, width, height]` (rotation -> attr `_rotation`) |
| `polygon`, `polyline` | `coordinate [{x, y}, ...]` | `[[x, y], ...]` |
| `keypoint` | `coordinate {x, y}` | `[x, y]` |
| `segmentation` | `pixel_indices [...]` or `section {...}` | the list, or the section object |
| `classification` | no geometry | `null` |
| `3d_bounding_box`, `relation`, `group`, `named_entity`, `prompt`, `answer`... | any fields | an object of them |

``classification.class`` becomes the v2 class name and the other ``classification`` keys become ``attrs``; the
editor flags travel as ``attrs`` named ``_<flag>`` and top-level v1 keys other than ``annotations`` and
``annotationsData`` are kept under ``v1_meta``, so v1 -> v2 -> v1 gives back the same annotations (grouped by tool;
polygon point ids are not kept).

Example:
    >>> v1 = {
    ...     "annotations": {"image_1": [{"id": "a", "tool": "bounding_box", "classification": {"class": "cat"}}]},
    ...     "annotationsData": {"image_1": [{"id": "a", "coordinate": {"x": 1, "y": 2, "width": 3, "height": 4}}]},
    ... }
    >>> v2 = convert_v1_to_v2(v1)
    >>> v2["images"][0]["bounding_box"][0]["data"]
    [1, 2, 3, 4]
    >>> convert_v2_to_v1(v2) == v1
    True
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Literal

from .dm import ItemRunner, refuse_nonempty_target
from .errors import ItemError, LayoutError
from .files import BackgroundWriter, ImageMode, place_image, write_json
from .report import ConversionReport, ProgressCallback

__all__ = ["convert_schema_folder", "convert_v1_to_v2", "convert_v2_to_v1"]

_FLAGS = ("isLocked", "isVisible", "isValid", "isDrawCompleted", "label")
_MEDIA_ID = re.compile(r"^([a-z][a-z0-9]*)_(\d+)$")
_META_KEY = "v1_meta"


def _media_plural(kind: str) -> str:
    return kind if kind.endswith("s") else f"{kind}s"


def _media_singular(plural: str) -> str:
    return plural[:-1] if plural.endswith("s") else plural


def _data_to_v2(tool: str, entry: dict[str, Any] | None, attrs: list[dict[str, Any]]) -> Any:
    if entry is None:
        return None
    fields = {k: v for k, v in entry.items() if k != "id"}
    coordinate = fields.get("coordinate")
    if tool == "bounding_box" and isinstance(coordinate, dict) and set(fields) == {"coordinate"}:
        if "rotation" in coordinate:
            attrs.append({"name": "_rotation", "value": coordinate["rotation"]})
        return [coordinate.get("x", 0), coordinate.get("y", 0), coordinate.get("width", 0), coordinate.get("height", 0)]
    if tool in ("polygon", "polyline") and isinstance(coordinate, list) and set(fields) == {"coordinate"}:
        return [[p.get("x", 0), p.get("y", 0)] for p in coordinate if isinstance(p, dict)]
    if tool == "keypoint" and isinstance(coordinate, dict) and set(fields) == {"coordinate"}:
        return [coordinate.get("x", 0), coordinate.get("y", 0)]
    if tool == "segmentation" and set(fields) in ({"pixel_indices"}, {"section"}):
        return fields.get("pixel_indices", fields.get("section"))
    return fields  # other tools (and unusual entries) keep their fields as they are


def _data_to_v1(tool: str, ann_id: Any, data: Any, attrs: dict[str, Any]) -> dict[str, Any] | None:
    if data is None:
        return None
    entry: dict[str, Any] = {"id": ann_id}
    if tool == "bounding_box" and isinstance(data, list) and len(data) == 4:
        coordinate = dict(zip(("x", "y", "width", "height"), data, strict=True))
        if "_rotation" in attrs:
            coordinate["rotation"] = attrs.pop("_rotation")
        entry["coordinate"] = coordinate
    elif tool in ("polygon", "polyline") and isinstance(data, list):
        entry["coordinate"] = [{"x": p[0], "y": p[1]} for p in data]
    elif tool == "keypoint" and isinstance(data, list) and len(data) == 2:
        entry["coordinate"] = {"x": data[0], "y": data[1]}
    elif tool == "segmentation" and isinstance(data, list):
        entry["pixel_indices"] = data
    elif tool == "segmentation" and isinstance(data, dict) and set(data) <= {"startFrame", "endFrame"}:
        entry["section"] = data
    elif isinstance(data, dict):
        entry.update(data)
    else:
        entry["data"] = data
    return entry


def convert_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Convert a DM v1 annotation document to schema v2.

    Args:
        data: The v1 document (``annotations`` and ``annotationsData`` keyed by media id).

    Returns:
        The v2 document: ``classification`` (classes per tool), one list per media type, and ``v1_meta`` when the v1
        document had other top-level keys.

    Raises:
        ItemError: The document is not v1 (no ``annotations`` object), a media id is not ``<type>_<n>``, or an
            annotation has no ``tool``.

    Example:
        >>> v1 = {
        ...     "annotations": {"image_1": [{"id": "k", "tool": "keypoint", "classification": {"class": "eye"}}]},
        ...     "annotationsData": {"image_1": [{"id": "k", "coordinate": {"x": 5, "y": 6}}]},
        ... }
        >>> convert_v1_to_v2(v1)["images"][0]["keypoint"][0]["data"]
        [5, 6]
    """
    annotations = data.get("annotations")
    if not isinstance(annotations, dict):
        raise ItemError("v1", "not a DM v1 document: 'annotations' must be an object keyed by media id")
    geometry = data.get("annotationsData") or {}
    result: dict[str, Any] = {"classification": {}}
    classes: dict[str, list[str]] = result["classification"]
    for media_id, anns in annotations.items():
        match = _MEDIA_ID.match(media_id)
        if not match:
            raise ItemError("v1", f"media id {media_id!r} is not <type>_<number>")
        kind, number = _media_plural(match.group(1)), int(match.group(2))
        media_list: list[dict[str, Any]] = result.setdefault(kind, [])
        while len(media_list) < number:
            media_list.append({})
        media = media_list[number - 1]
        entries = {e.get("id"): e for e in geometry.get(media_id) or [] if isinstance(e, dict)}
        for ann in anns or []:
            tool = ann.get("tool")
            if not isinstance(tool, str) or not tool:
                raise ItemError("v1", f"annotation {ann.get('id')!r} in {media_id} has no tool")
            classification = dict(ann.get("classification") or {})
            class_name = classification.pop("class", "")
            attrs = [{"name": k, "value": v} for k, v in classification.items()]
            attrs += [{"name": f"_{flag}", "value": ann[flag]} for flag in _FLAGS if flag in ann]
            extra = {k: v for k, v in ann.items() if k not in ("id", "tool", "classification", *_FLAGS)}
            attrs += [{"name": f"_{k}", "value": v} for k, v in extra.items()]
            converted = {
                "id": ann.get("id"),
                "classification": class_name,
                "attrs": attrs,
                "data": _data_to_v2(tool, entries.get(ann.get("id")), attrs),
            }
            media.setdefault(tool, []).append(converted)
            if class_name and class_name not in classes.setdefault(tool, []):
                classes[tool].append(class_name)
    meta = {k: v for k, v in data.items() if k not in ("annotations", "annotationsData")}
    if meta:
        result[_META_KEY] = meta
    return result


def convert_v2_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Convert a DM v2 annotation document back to schema v1.

    Args:
        data: The v2 document.

    Returns:
        The v1 document with ``annotations`` and ``annotationsData`` keyed by media id (media without annotations are
        left out), plus the top-level keys kept in ``v1_meta``.

    Raises:
        ItemError: A media list is not a list of objects.

    Example:
        >>> v2 = {
        ...     "images": [
        ...         {"polygon": [{"id": "p", "classification": "road", "attrs": [], "data": [[0, 0], [1, 0], [1, 1]]}]}
        ...     ]
        ... }
        >>> v1 = convert_v2_to_v1(v2)
        >>> v1["annotations"]["image_1"][0]["classification"], v1["annotationsData"]["image_1"][0]["coordinate"][1]
        ({'class': 'road'}, {'x': 1, 'y': 0})
    """
    result: dict[str, Any] = dict(data.get(_META_KEY) or {})
    annotations: dict[str, list[dict[str, Any]]] = {}
    geometry: dict[str, list[dict[str, Any]]] = {}
    for kind, media_list in data.items():
        if kind in ("classification", _META_KEY):
            continue
        if not isinstance(media_list, list) or not all(isinstance(m, dict) for m in media_list):
            raise ItemError("v2", f"'{kind}' must be a list of objects")
        for position, media in enumerate(media_list, start=1):
            media_id = f"{_media_singular(kind)}_{position}"
            for tool, anns in media.items():
                for ann in anns:
                    attrs = {str(a.get("name")): a.get("value") for a in ann.get("attrs") or [] if isinstance(a, dict)}
                    entry = _data_to_v1(tool, ann.get("id"), ann.get("data"), attrs)
                    v1_ann: dict[str, Any] = {"id": ann.get("id"), "tool": tool}
                    classification = {"class": ann.get("classification", "")}
                    for name, value in attrs.items():
                        if name.startswith("_"):
                            v1_ann[name[1:]] = value
                        else:
                            classification[name] = value
                    v1_ann["classification"] = classification
                    annotations.setdefault(media_id, []).append(v1_ann)
                    if entry is not None:
                        geometry.setdefault(media_id, []).append(entry)
    result["annotations"] = annotations
    result["annotationsData"] = geometry
    return result


def convert_schema_folder(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    to: Literal["v1", "v2"],
    image_mode: ImageMode = "copy",
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    """Convert every ``*.json`` annotation file under ``source`` to schema ``to``, keeping the folder structure.

    Other files (the ``original_files`` images) are placed beside them unchanged, so a whole DM dataset folder
    converts in one call. Files are handled one at a time.

    Args:
        source: A folder of DM annotation files (for instance a DM dataset).
        target: The folder to create (must be empty or missing).
        to: The schema to write: ``v2`` (input is v1) or ``v1`` (input is v2).
        image_mode: How the other files are placed: ``copy``, ``link``, ``symlink`` or ``none``.
        strict: Stop at the first bad file instead of reporting it and going on.
        progress: Called with the number of annotation files handled so far.

    Returns:
        How many files were converted and which failed and why.

    Raises:
        LayoutError: ``source`` is not a folder.
        ConversionError: ``target`` is not empty.
        ItemError: In strict mode, the first bad file.

    Example:
        >>> import json, pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> (root / "v1" / "json").mkdir(parents=True)
        >>> v1 = {"annotations": {"image_1": []}, "annotationsData": {}}
        >>> _ = (root / "v1" / "json" / "a.json").write_text(json.dumps(v1))
        >>> convert_schema_folder(root / "v1", root / "v2", to="v2").converted
        1
        >>> json.loads((root / "v2" / "json" / "a.json").read_text())
        {'classification': {}, 'images': [{}]}
    """
    source, target = Path(source), Path(target)
    if not source.is_dir():
        raise LayoutError(str(source), "source folder not found")
    convert = convert_v1_to_v2 if to == "v2" else convert_v2_to_v1
    files = sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))
    refuse_nonempty_target(target)
    report = ConversionReport()
    runner = ItemRunner(report, strict=strict, progress=progress)
    with BackgroundWriter() as writer:
        for path in files:
            relative = path.relative_to(source)
            if path.suffix != ".json":
                writer.submit(place_image, path, target / relative, image_mode)
                continue
            with runner.item(relative.as_posix()):
                try:
                    data = json.loads(path.read_bytes())
                except (OSError, ValueError) as exc:
                    raise ItemError(relative.as_posix(), f"not readable JSON: {exc}") from exc
                if not isinstance(data, dict):
                    raise ItemError(relative.as_posix(), "annotation file must hold a JSON object")
                writer.submit(write_json, target / relative, convert(data))
    return report
