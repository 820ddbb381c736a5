"""Read a DM dataset folder as records, and write records as one.

Example:
    >>> import pathlib, tempfile
    >>> from synapse_plugins.converters.testing import make_dm_dataset
    >>> from synapse_plugins.converters.records import run_pipeline
    >>> from synapse_plugins.converters.report import ConversionReport
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> make_dm_dataset(root / "a", {"train": {"x": [("bounding_box", "cat", [0, 0, 2, 2])]}})
    >>> run_pipeline(read_dm(root / "a"), DmWriter(root / "b", "copy"), ConversionReport()).converted
    1
    >>> sorted(p.relative_to(root / "b").as_posix() for p in (root / "b").rglob("*.*"))
    ['train/json/x.json', 'train/original_files/x.png']
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from .dm import DMItem, iter_dm_items, read_dm_item, refuse_nonempty_target
from .errors import ItemError
from .files import ImageMode, StagedOutput, safe_member
from .records import DMRecord, PendingItem
from .report import ConversionReport

__all__ = ["DmWriter", "NameRegistry", "read_dm"]

# One encoder for every item: json.dumps with options builds a new encoder per call.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def read_dm(source: str | os.PathLike[str]) -> Iterator[PendingItem]:
    """Yield the items of a DM dataset folder, each loaded when the pipeline asks for it.

    Args:
        source: The DM dataset folder.

    Yields:
        One pending item per ``json/**/*.json``; loading fails when the item has no image in ``original_files``.

    Raises:
        LayoutError: ``source`` is not a DM dataset (raised at once, before anything is written).

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> read_dm(root)
        Traceback (most recent call last):
        ...
        synapse_plugins.converters.errors.LayoutError: ...: not a DM dataset: expected json/ or train|valid|test/json/
    """
    items = iter_dm_items(source)
    first = next(items, None)  # the layout error is raised here, while the caller can still refuse to start

    def generate() -> Iterator[PendingItem]:
        if first is None:
            return
        yield _pending(first)
        for item in items:
            yield _pending(item)

    return generate()


def _pending(item: DMItem) -> PendingItem:
    def load() -> DMRecord:
        data = read_dm_item(item)
        if item.image_path is None:
            raise ItemError(item.label, f"no image named {item.name}.* in original_files")
        return DMRecord(item.split, item.name, data, item.image_path)

    return PendingItem(item.label, load)


class NameRegistry:
    """Item names already written per target scope, so two items never share one file (the later one fails).

    Example:
        >>> names = NameRegistry()
        >>> names.claim("train", "x", "images/train/x.png")
        >>> names.claim("train", "x", "images/train/x.jpg")
        Traceback (most recent call last):
        ...
        synapse_plugins.converters.errors.ItemError: x: another item already wrote images/train/x.png
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str | None, str], str] = {}

    def claim(self, scope: str | None, name: str, what: str) -> None:
        """Reserve ``name`` in ``scope`` or raise.

        Args:
            scope: The split (or ``None`` for formats without split folders).
            name: The item name.
            what: The file it writes, for the message.

        Raises:
            ItemError: Another item has the name in this scope.
        """
        key = (scope, name)
        if key in self._seen:
            raise ItemError(name, f"another item already wrote {self._seen[key]}")
        self._seen[key] = what


class DmWriter:
    """Write records as a DM dataset folder: ``[split/]json/<name>.json`` and ``[split/]original_files/<name>.*``.

    Args:
        target: The folder to create (must be empty or missing).
        image_mode: How images are placed.

    Raises:
        ConversionError: ``target`` is not empty.

    Example:
        >>> import pathlib, tempfile
        >>> DmWriter(pathlib.Path(tempfile.mkdtemp()) / "new", "none").abort()
    """

    def __init__(self, target: Path, image_mode: ImageMode) -> None:
        refuse_nonempty_target(target)
        self._out = StagedOutput(target)
        self.target = self._out.root
        self.image_mode = image_mode
        self._names = NameRegistry()

    def add(self, record: DMRecord, report: ConversionReport) -> None:
        """Queue the record's files.

        Args:
            record: The item.
            report: Unused (DM holds everything).

        Raises:
            ItemError: The name is taken or leaves the target.
        """
        base = self.target / record.split if record.split else self.target
        json_path = safe_member(base / "json", f"{record.name}.json")
        self._names.claim(record.split, record.name, f"{record.split or '.'}/json/{record.name}.json")
        if record.image is not None:
            image_path = safe_member(base / "original_files", f"{record.name}{record.image.suffix}")
            self._out.place(record.image, image_path, self.image_mode)
        self._out.write(json_path, _to_json(record.data).encode("utf-8"))

    def close(self, report: ConversionReport) -> None:
        """Wait for the writes, flush them and move them into the target.

        Args:
            report: Unused.
        """
        self._out.commit()

    def abort(self) -> None:
        """Remove everything written."""
        self._out.discard()
