"""DM records in memory: what every format reader yields and every format writer takes.

A conversion between two formats is a reader and a writer joined by
[`run_pipeline`][synapse_plugins.converters.records.run_pipeline]: the reader yields one
[`PendingItem`][synapse_plugins.converters.records.PendingItem] per item (a label and a function that loads it as a
[`DMRecord`][synapse_plugins.converters.records.DMRecord]), the writer turns each record into the target's files.
Nothing goes through a DM folder on disk, and loading happens inside the item's failure boundary, so one bad item is
one report entry.

Example:
    >>> from synapse_plugins.converters.report import ConversionReport
    >>> class Collect:
    ...     def __init__(self):
    ...         self.names = []
    ...
    ...     def add(self, record, report):
    ...         self.names.append(record.name)
    ...
    ...     def close(self, report):
    ...         pass
    ...
    ...     def abort(self):
    ...         pass
    >>> pending = [PendingItem("a.json", lambda: DMRecord(None, "a", {"images": [{}]}, None))]
    >>> writer = Collect()
    >>> run_pipeline(pending, writer, ConversionReport()).converted, writer.names
    (1, ['a'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .dm import ItemRunner
from .errors import ItemError
from .imagesize import read_image_size
from .report import ConversionReport, ProgressCallback

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = ["DMRecord", "DatasetWriter", "PendingItem", "fail_item", "run_pipeline"]


@dataclass
class DMRecord:
    """One item in DM form, between a reader and a writer.

    Attributes:
        split: The DM split (``train``, ``valid``, ``test``...) or ``None`` for an unsplit dataset.
        name: The item's identity: its relative path without the suffix (``a/x`` for ``a/x.png``), so two images
            with one stem in two folders stay two items.
        data: The DM v2 annotation data.
        image: The item's image file, when there is one.
        size: ``(width, height)`` when the source states it; otherwise read from the image's header on demand.

    Example:
        >>> DMRecord("train", "a/x", {"images": [{}]}, None, (4, 3)).image_size()
        (4, 3)
    """

    split: str | None
    name: str
    data: dict[str, Any]
    image: Path | None
    size: tuple[int, int] | None = None

    def image_size(self) -> tuple[int, int]:
        """Return ``(width, height)``: the stated size, or the one in the image's header.

        Returns:
            The size in pixels.

        Raises:
            ItemError: No size is stated and there is no readable image.

        Example:
            >>> DMRecord(None, "a", {}, None).image_size()
            Traceback (most recent call last):
            ...
            synapse_plugins.converters.errors.ItemError: a: no image to read the size from
        """
        if self.size is None:
            if self.image is None:
                raise ItemError(self.name, "no image to read the size from")
            self.size = read_image_size(self.image)
        return self.size


@dataclass(frozen=True)
class PendingItem:
    """An item a reader found: its label for the report and the function that loads it.

    Attributes:
        label: The item's source file relative to the source root (what the report names).
        load: Reads and converts the item; raises [`ItemError`][synapse_plugins.converters.errors.ItemError] (or
            anything else its data provokes) when it is bad.

    Example:
        >>> PendingItem("a.json", lambda: None).label
        'a.json'
    """

    label: str
    load: Callable[[], DMRecord]


def fail_item(label: str, reason: str) -> PendingItem:
    """Return a pending item that fails with ``reason`` (a reader reports what it cannot convert this way).

    Args:
        label: What failed.
        reason: Why.

    Returns:
        The pending item.

    Example:
        >>> fail_item("x.json#annotation 3", "no image with id 9").load()
        Traceback (most recent call last):
        ...
        synapse_plugins.converters.errors.ItemError: x.json#annotation 3: no image with id 9
    """

    def load() -> DMRecord:
        raise ItemError(label, reason)

    return PendingItem(label, load)


class DatasetWriter(Protocol):
    """Writes DM records as one target format's files.

    Example:
        >>> hasattr(DatasetWriter, "add")
        True
    """

    def add(self, record: DMRecord, report: ConversionReport) -> None:
        """Write one record (or raise an item error), counting what the format cannot hold into ``report``."""

    def close(self, report: ConversionReport) -> None:
        """Finish: write the index files (COCO JSON, ``dataset.yaml``, split lists) and flush everything."""

    def abort(self) -> None:
        """Stop after a failure, leaving no partial index file under its final name."""


def run_pipeline(
    items: Iterable[PendingItem],
    writer: DatasetWriter,
    report: ConversionReport,
    *,
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ConversionReport:
    """Load each pending item and hand it to ``writer`` inside the item's failure boundary, then close the writer.

    Args:
        items: From a reader.
        writer: The target format.
        report: Collects the outcome.
        strict: Raise the first item failure instead of recording it.
        progress: Called with the number of items handled so far.

    Returns:
        ``report``.

    Raises:
        ItemError: In strict mode, the first bad item.
        ConversionError: The target could not be written.

    Example:
        >>> report = run_pipeline([fail_item("b", "bad")], _NullWriter(), ConversionReport())
        >>> report.converted, [str(f) for f in report.failures]
        (0, ['b: bad'])
    """
    runner = ItemRunner(report, strict=strict, progress=progress)
    try:
        for label, loaded in _prefetch(items):
            with runner.item(label):
                writer.add(loaded.result(), report)
        writer.close(report)
    except BaseException:
        writer.abort()
        raise
    return report


#: Items loaded ahead of the one being written, on reader threads: opening and reading the next files overlaps
#: converting and writing this one. Items go to the readers in chunks of ``CHUNK`` (one hand-over per item cost
#: more CPU than reading a small file); at most ``PREFETCH`` items are loaded ahead, so memory stays flat; order is
#: kept, so class indices are stable.
PREFETCH = 16
CHUNK = 8
READERS = 2


class _Loaded:
    """The outcome of one item's load: the record, or the exception to raise inside the item's boundary."""

    __slots__ = ("_error", "_record")

    def __init__(self, record: DMRecord | None, error: BaseException | None) -> None:
        self._record = record
        self._error = error

    def result(self) -> DMRecord:
        if self._error is not None:
            raise self._error
        assert self._record is not None  # set whenever there is no error
        return self._record


def _load(pending: PendingItem) -> _Loaded:
    try:
        return _Loaded(pending.load(), None)
    except Exception as exc:  # handed to the item's boundary in the main thread
        return _Loaded(None, exc)


def _load_chunk(chunk: list[PendingItem]) -> list[_Loaded]:
    return [_load(pending) for pending in chunk]


def _chunks(items: Iterable[PendingItem]) -> Iterator[list[PendingItem]]:
    chunk: list[PendingItem] = []
    for pending in items:
        chunk.append(pending)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _prefetch(items: Iterable[PendingItem]) -> Iterator[tuple[str, _Loaded]]:
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(READERS, thread_name_prefix="converter-reader") as pool:
        window: deque[tuple[list[PendingItem], Future[list[_Loaded]]]] = deque()
        try:
            for chunk in _chunks(items):
                window.append((chunk, pool.submit(_load_chunk, chunk)))
                if len(window) * CHUNK >= PREFETCH:
                    yield from _results(*window.popleft())
            while window:
                yield from _results(*window.popleft())
        finally:
            for _, future in window:
                future.cancel()


def _results(chunk: list[PendingItem], future: Future[list[_Loaded]]) -> Iterator[tuple[str, _Loaded]]:
    for pending, loaded in zip(chunk, future.result(), strict=True):
        yield pending.label, loaded


class _NullWriter:
    def add(self, record: DMRecord, report: ConversionReport) -> None:
        pass

    def close(self, report: ConversionReport) -> None:
        pass

    def abort(self) -> None:
        pass
