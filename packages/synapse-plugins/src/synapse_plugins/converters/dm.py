"""The DM dataset layout (schema v2) and helpers to read and build DM annotation data.

A DM dataset is a folder, optionally split into ``train``, ``valid`` and ``test``::

    [split/]json/<name>.json          one annotation file per item (schema v2)
    [split/]original_files/<name>.*   the item's image, same stem

An item's JSON holds the classes per tool and, per image, the annotations keyed by tool::

    {"classification": {"bounding_box": ["cat"]},
     "images": [{"bounding_box": [{"id": "a1", "classification": "cat", "attrs": [], "data": [x, y, w, h]}],
                 "polygon": [{..., "data": [[x, y], ...]}], "keypoint": [{..., "data": [x, y]}],
                 "group": [{..., "data": ["a1", ...]}], "polyline": [], "relation": []}]}

``classification`` of an annotation is the class name; an object with a ``class`` key is read too.

Example:
    >>> builder = DMItemBuilder()
    >>> box_id = builder.add("bounding_box", "cat", [1, 2, 3, 4])
    >>> builder.build()["classification"]
    {'bounding_box': ['cat']}
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .errors import ConversionError, ItemError, LayoutError
from .files import ImageMode, place_image, read_file, safe_member, write_json
from .report import ConversionReport, ProgressCallback

__all__ = [
    "DM_SPLITS",
    "DMItem",
    "DMItemBuilder",
    "ItemRunner",
    "KeypointGroup",
    "annotation_attrs",
    "annotation_class",
    "image_annotations",
    "iter_dm_items",
    "keypoint_groups",
    "read_dm_item",
    "refuse_nonempty_target",
    "require_dir",
    "split_from_external",
    "split_to_external",
    "walk_files",
    "write_dm_item",
]

#: Split folder names of a DM dataset, in the order they are walked.
DM_SPLITS = ("train", "valid", "test")

# A split name taken from a source dataset becomes a folder name in the target: one plain path component.
_SAFE_SPLIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class DMItem:
    """One item of a DM dataset on disk.

    Attributes:
        split: ``train``, ``valid``, ``test``, or ``None`` for an unsplit dataset.
        name: The item's path below ``json/`` without the suffix (``a/x`` for ``json/a/x.json``): items in
            sub-folders keep their folder, so ``a/x`` and ``b/x`` stay two items.
        json_path: Its annotation file.
        image_path: Its image, or ``None`` when ``original_files`` has no file with that stem.
        label: The annotation file relative to the dataset root, for reports.

    Example:
        >>> from pathlib import Path
        >>> DMItem(None, "a", Path("json/a.json"), None, "json/a.json").name
        'a'
    """

    split: str | None
    name: str
    json_path: Path
    image_path: Path | None
    label: str


def split_to_external(split: str | None) -> str:
    """Name a DM split the way COCO, YOLO and Pascal VOC do (``valid`` -> ``val``, no split -> ``default``).

    Args:
        split: The DM split or ``None``.

    Returns:
        The external split name.

    Example:
        >>> split_to_external("valid"), split_to_external(None), split_to_external("train")
        ('val', 'default', 'train')
    """
    if split is None:
        return "default"
    return "val" if split == "valid" else split


def split_from_external(name: str) -> str | None:
    """Map an external split name back to a DM split (``val``/``validation`` -> ``valid``, ``default`` -> ``None``).

    Args:
        name: The external split name.

    Returns:
        The DM split, or ``None`` for the unsplit ``default``.

    Raises:
        LayoutError: The name could leave the target folder (``..``, ``/``) or is not a plain name.

    Example:
        >>> split_from_external("val"), split_from_external("default"), split_from_external("test")
        ('valid', None, 'test')
    """
    if name in ("val", "validation", "valid"):
        return "valid"
    if name in ("default", ""):
        return None
    if not _SAFE_SPLIT.fullmatch(name) or set(name) == {"."}:
        raise LayoutError(name, "split name must be letters, digits, '.', '_' or '-' and not a path")
    return name


def walk_files(folder: Path) -> list[str]:
    """Return the relative ``/``-separated paths of the files under ``folder``, sorted; hidden names are skipped.

    Args:
        folder: The folder (missing: no files).

    Returns:
        The paths.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> (root / "a").mkdir()
        >>> _ = (root / "a" / "x.png").write_bytes(b"")
        >>> walk_files(root)
        ['a/x.png']
    """
    found: list[str] = []
    if not folder.is_dir():
        return found
    for current, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        prefix = os.path.relpath(current, folder).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        found += [prefix + f for f in files if not f.startswith(".")]
    found.sort()
    return found


def _images_by_stem(folder: Path) -> dict[str, str]:
    # One listing per split: names only (about 150 bytes per item). Probing each item's suffixes with stat calls
    # instead holds nothing but measured several times slower on busy file systems.
    found: dict[str, str] = {}
    for name in walk_files(folder):
        stem, dot, _ = name.rpartition(".")
        if dot and "/" not in name[len(stem) :] and stem not in found:
            found[stem] = name
    return found


def iter_dm_items(root: str | os.PathLike[str]) -> Iterator[DMItem]:
    """Yield the items of a DM dataset in a stable order (splits ``train``, ``valid``, ``test``, then file name).

    Only file names are listed up front (``json/`` and its sub-folders sorted, so class indices given in first-met
    order are the same on every machine, and ``original_files/``); annotation files are read by the caller one at a
    time. An item's image is the file in ``original_files/`` with the same relative path and stem
    (``json/a/x.json`` -> ``original_files/a/x.png``).

    Args:
        root: The dataset folder.

    Yields:
        One [`DMItem`][synapse_plugins.converters.dm.DMItem] per ``json/*.json`` file.

    Raises:
        LayoutError: ``root`` has neither ``json/`` nor split folders holding ``json/``.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> (root / "train" / "json").mkdir(parents=True)
        >>> _ = (root / "train" / "json" / "a.json").write_text("{}")
        >>> [(i.split, i.name, i.image_path) for i in iter_dm_items(root)]
        [('train', 'a', None)]
    """
    root = Path(root)
    splits = [s for s in DM_SPLITS if (root / s / "json").is_dir()]
    if splits:
        bases: list[tuple[str | None, Path]] = [(s, root / s) for s in splits]
    elif (root / "json").is_dir():
        bases = [(None, root)]
    else:
        raise LayoutError(str(root), "not a DM dataset: expected json/ or train|valid|test/json/")
    for split, base in bases:
        names = [n for n in walk_files(base / "json") if n.endswith(".json")]
        images = _images_by_stem(base / "original_files")
        for file_name in names:
            stem = file_name[: -len(".json")]
            label = f"{split}/json/{file_name}" if split else f"json/{file_name}"
            image = images.get(stem)
            image_path = base / "original_files" / image if image else None
            yield DMItem(split, stem, base / "json" / file_name, image_path, label)


def read_dm_item(item: DMItem) -> dict[str, Any]:
    """Read and check the annotation file of ``item``.

    Args:
        item: The item.

    Returns:
        The parsed JSON object.

    Raises:
        ItemError: The file cannot be read, is not JSON, or is not a JSON object with an ``images`` list.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.json"
        >>> _ = path.write_text('{"images": []}')
        >>> read_dm_item(DMItem(None, "a", path, None, "json/a.json"))
        {'images': []}
    """
    try:
        data = json.loads(read_file(item.json_path))
    except OSError as exc:
        raise ItemError(item.label, f"cannot read: {exc.strerror or exc}") from exc
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError, nesting too deep
        raise ItemError(item.label, f"not valid JSON: {str(exc)[:200]}") from exc
    if not isinstance(data, dict):
        raise ItemError(item.label, "annotation file must hold a JSON object")
    image_annotations(data, item.label)  # checks the shape once, here
    return data


def image_annotations(data: dict[str, Any], label: str = "item") -> dict[str, list[dict[str, Any]]]:
    """Return the annotations of the item's (first) image, keyed by tool.

    Args:
        data: A DM v2 item.
        label: Names the item in errors.

    Returns:
        ``{tool: [annotation, ...]}``; empty when the item has no image annotations.

    Raises:
        ItemError: ``images`` is not a list of objects, or a tool's value is not a list of objects.

    Example:
        >>> image_annotations({"images": [{"bounding_box": []}]})
        {'bounding_box': []}
        >>> image_annotations({"images": []})
        {}
    """
    images = data.get("images", [])
    if not isinstance(images, list):
        raise ItemError(label, "'images' must be a list")
    if not images:
        return {}
    first = images[0]
    if not isinstance(first, dict):
        raise ItemError(label, "'images[0]' must be an object")
    for tool, anns in first.items():
        if not isinstance(anns, list) or not all(isinstance(a, dict) for a in anns):
            raise ItemError(label, f"'{tool}' must be a list of objects")
    return first


def annotation_class(ann: dict[str, Any], label: str = "item") -> str:
    """Return the class name of a DM annotation.

    Args:
        ann: The annotation.
        label: Names the item in errors.

    Returns:
        The class name.

    Raises:
        ItemError: The annotation has no usable class name.

    Example:
        >>> annotation_class({"classification": "cat"}), annotation_class({"classification": {"class": "dog"}})
        ('cat', 'dog')
    """
    value = ann.get("classification")
    if isinstance(value, dict):
        value = value.get("class")
    if not isinstance(value, str) or not value:
        raise ItemError(label, f"annotation {ann.get('id', '?')!r} has no class name")
    return value


def annotation_attrs(ann: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the ``attrs`` list of a DM annotation (``[{name, value}]``), ignoring malformed entries.

    Args:
        ann: The annotation.

    Returns:
        The attributes that have a string name.

    Example:
        >>> annotation_attrs({"attrs": [{"name": "occluded", "value": True}, {"bad": 1}]})
        [{'name': 'occluded', 'value': True}]
    """
    attrs = ann.get("attrs") or []
    if not isinstance(attrs, list):
        return []
    return [a for a in attrs if isinstance(a, dict) and isinstance(a.get("name"), str)]


@dataclass
class KeypointGroup:
    """A DM ``group`` that holds keypoints: the group, its keypoints, its bounding boxes and its shapes.

    Attributes:
        group: The group annotation (its class is the instance's category).
        keypoints: The member keypoints (each one's class is the keypoint's name).
        boxes: The member bounding boxes.
        shapes: The member polygons and masks as ``(tool, annotation)`` (the instance's outline in COCO).

    Example:
        >>> KeypointGroup({"classification": "person"}, [], []).boxes
        []
    """

    group: dict[str, Any]
    keypoints: list[dict[str, Any]]
    boxes: list[dict[str, Any]]
    shapes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def keypoint_groups(tools: dict[str, list[dict[str, Any]]]) -> list[KeypointGroup]:
    """Return the groups of an image that hold at least one keypoint, with their members resolved by id.

    Args:
        tools: The image's annotations keyed by tool (see
            [`image_annotations`][synapse_plugins.converters.dm.image_annotations]).

    Returns:
        One [`KeypointGroup`][synapse_plugins.converters.dm.KeypointGroup] per such group, in order.

    Example:
        >>> tools = {
        ...     "keypoint": [{"id": "k", "classification": "nose", "data": [1, 1]}],
        ...     "group": [{"id": "g", "classification": "person", "data": ["k"]}],
        ... }
        >>> [len(g.keypoints) for g in keypoint_groups(tools)]
        [1]
    """
    by_id: dict[Any, tuple[str, dict[str, Any]]] = {}
    for tool, anns in tools.items():
        for a in anns:
            ann_id = a.get("id")
            if isinstance(ann_id, (str, int)) and not isinstance(ann_id, bool):
                by_id[ann_id] = (tool, a)
    found = []
    for group in tools.get("group", []):
        members_ids = group.get("data")
        members = [
            by_id[m]
            for m in (members_ids if isinstance(members_ids, list) else [])
            if isinstance(m, (str, int)) and not isinstance(m, bool) and m in by_id
        ]
        keypoints = [a for tool, a in members if tool == "keypoint"]
        if keypoints:
            boxes = [a for tool, a in members if tool == "bounding_box"]
            shapes = [(tool, a) for tool, a in members if tool in ("polygon", "segmentation")]
            found.append(KeypointGroup(group, keypoints, boxes, shapes))
    return found


class DMItemBuilder:
    """Build a DM v2 item: annotations are added per tool and the ``classification`` summary follows.

    Args:
        existing: An item to continue (its annotations are kept and new ones are appended).

    Ids are ``<tool-prefix><n>``, unique inside the item and the same for the same input.

    Example:
        >>> builder = DMItemBuilder()
        >>> kp = builder.add("keypoint", "nose", [3, 4], attrs=[{"name": "visibility", "value": 1}])
        >>> _ = builder.add("group", "person", [kp])
        >>> data = builder.build()
        >>> data["images"][0]["group"][0]["data"]
        ['kp1']
    """

    _PREFIX: ClassVar[dict[str, str]] = {
        "bounding_box": "bb",
        "polygon": "pg",
        "polyline": "pl",
        "keypoint": "kp",
        "group": "gr",
    }

    def __init__(self, existing: dict[str, Any] | None = None) -> None:
        self._tools: dict[str, list[dict[str, Any]]] = {}
        self._classes: dict[str, list[str]] = {}
        self._count = 0
        if existing:  # continue an item written from another source file; ids keep counting up
            for tool, anns in image_annotations(existing).items():
                self._tools[tool] = list(anns)
                self._count += len(anns)
            for tool, names in (existing.get("classification") or {}).items():
                self._classes[tool] = list(names)

    def add(self, tool: str, class_name: str, data: Any, attrs: list[dict[str, Any]] | None = None) -> str:
        """Add one annotation and return its id.

        Args:
            tool: The DM tool (``bounding_box``, ``polygon``...).
            class_name: Its class.
            data: Its coordinates in the tool's shape.
            attrs: Its ``[{name, value}]`` attributes.

        Returns:
            The new annotation's id.

        Example:
            >>> DMItemBuilder().add("polygon", "road", [[0, 0], [1, 0], [1, 1]])
            'pg1'
        """
        self._count += 1
        ann_id = f"{self._PREFIX.get(tool, tool[:2])}{self._count}"
        self._tools.setdefault(tool, []).append(
            {"id": ann_id, "classification": class_name, "attrs": list(attrs or []), "data": data}
        )
        classes = self._classes.setdefault(tool, [])
        if class_name not in classes:
            classes.append(class_name)
        return ann_id

    def build(self) -> dict[str, Any]:
        """Return the DM v2 item.

        Returns:
            ``{"classification": {...}, "images": [{tool: [...]}]}``.

        Example:
            >>> DMItemBuilder().build()
            {'classification': {}, 'images': [{}]}
        """
        return {"classification": self._classes, "images": [self._tools]}


def write_dm_item(
    target: Path,
    split: str | None,
    *,
    name: str,
    data: dict[str, Any],
    image: Path | None,
    image_mode: ImageMode,
    durable: bool = True,
) -> None:
    """Write one item into a DM dataset folder: ``[split/]json/<name>.json`` and its image.

    Args:
        target: The DM dataset root.
        split: The DM split, or ``None``.
        name: The item's stem.
        data: The DM v2 item.
        image: The source image to place as ``[split/]original_files/<name><suffix>``, if any.
        image_mode: How to place it.
        durable: Fsync each file before its rename (a ``BackgroundWriter`` passes ``False`` and syncs once).

    Raises:
        ItemError: The image cannot be placed, or ``name`` would leave the target folder.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> write_dm_item(root, "train", name="a", data={"images": []}, image=None, image_mode="copy")
        >>> (root / "train" / "json" / "a.json").read_text()
        '{"images": []}'
    """
    base = target / split if split else target
    json_path = safe_member(base / "json", f"{name}.json")
    if image is not None:
        place_image(image, safe_member(base / "original_files", f"{name}{image.suffix}"), image_mode, durable=durable)
    write_json(json_path, data, durable=durable)


def _names_same_item(path: str, label: str) -> bool:
    # "bad.png" inside item "json/bad.json" adds nothing; "JPEGImages/x.jpg" inside "Annotations/y.xml" does
    return path in (label, "item") or label.endswith(path) or Path(path).stem == Path(label).stem


def _unexpected_reason(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "data is nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text (byte {exc.start})"
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror or exc}"
    return f"malformed data ({type(exc).__name__}: {str(exc)[:200]})"


class ItemRunner:
    """Run item conversions: count successes, record or raise failures, report progress.

    The block of one item is the failure boundary: an [`ItemError`][synapse_plugins.converters.errors.ItemError], and
    any other exception the item's data provokes (a number too large for a float, an unhashable id, text that is
    not UTF-8, JSON nested too deeply), is that item's failure; only strict mode stops. A
    [`ConversionError`][synapse_plugins.converters.errors.ConversionError] that is not an item error (the target
    cannot be written) always stops.

    Args:
        report: Where results go.
        strict: Raise the first [`ItemError`][synapse_plugins.converters.errors.ItemError] instead of recording it.
        progress: Called with the number of items handled so far after each item.

    Example:
        >>> from synapse_plugins.converters.report import ConversionReport
        >>> runner = ItemRunner(ConversionReport(), strict=False, progress=None)
        >>> with runner.item("a.json"):
        ...     raise ItemError("a.json", "bad")
        >>> runner.report.failures[0].reason
        'bad'
    """

    def __init__(self, report: ConversionReport, *, strict: bool, progress: ProgressCallback | None) -> None:
        self.report = report
        self.strict = strict
        self.progress = progress
        self.handled = 0

    @contextlib.contextmanager
    def item(self, label: str) -> Iterator[None]:
        """Convert one item inside this block, recording (or in strict mode raising) its item error.

        Args:
            label: The item's file, relative to the source root, used in the failure record.

        Yields:
            Nothing.

        Raises:
            ItemError: In strict mode, the item's error (with ``label`` as its path).

        Example:
            >>> from synapse_plugins.converters.report import ConversionReport
            >>> runner = ItemRunner(ConversionReport(), strict=False, progress=None)
            >>> with runner.item("ok.json"):
            ...     pass
            >>> runner.report.converted
            1
        """
        try:
            yield
        except ItemError as exc:
            reason = exc.reason if _names_same_item(exc.path, label) else f"{exc.path}: {exc.reason}"
            if self.strict:
                raise ItemError(label, reason) from exc
            self.report.add_failure(label, reason)
        except ConversionError:
            raise  # not about this item (the target cannot be written): the next items would fail the same way
        except Exception as exc:
            reason = _unexpected_reason(exc)
            if self.strict:
                raise ItemError(label, reason) from exc
            self.report.add_failure(label, reason)
        else:
            self.report.converted += 1
        finally:
            self.handled += 1
            if self.progress is not None:
                self.progress(self.handled, None)


def require_dir(path: Path, what: str) -> None:
    """Raise [`LayoutError`][synapse_plugins.converters.errors.LayoutError] unless ``path`` is a folder.

    Args:
        path: The folder.
        what: What it should be, for the message.

    Raises:
        LayoutError: ``path`` is not a folder.

    Example:
        >>> import tempfile, pathlib
        >>> require_dir(pathlib.Path(tempfile.gettempdir()), "temp")
    """
    if not path.is_dir():
        raise LayoutError(str(path), f"{what} folder not found")


def refuse_nonempty_target(target: Path) -> None:
    """Refuse to convert into a folder that already holds files (results would mix).

    Args:
        target: The target folder; created when missing.

    Raises:
        ConversionError: The folder exists and is not empty.

    Example:
        >>> import tempfile, pathlib
        >>> refuse_nonempty_target(pathlib.Path(tempfile.mkdtemp()) / "new")
    """
    if target.exists() and any(target.iterdir()):
        raise ConversionError(str(target), "target folder is not empty")
    target.mkdir(parents=True, exist_ok=True)
