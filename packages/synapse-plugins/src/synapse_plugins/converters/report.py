"""What a folder conversion did: items converted, items that failed and why, annotations it had to drop.

Example:
    >>> report = ConversionReport()
    >>> report.converted += 1
    >>> report.add_failure("b.json", "not JSON")
    >>> report.ok, [str(f) for f in report.failures]
    (False, ['b.json: not JSON'])
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The SDK's one progress callable, ``(done, total)``: converters call it after each item with the number of items
# handled so far (converted or failed) and ``total=None`` (a streamed folder's size is not known up front).
from synapse_fileutils.progress import ProgressCallback

__all__ = ["ConversionReport", "ItemFailure", "ProgressCallback"]


@dataclass(frozen=True)
class ItemFailure:
    """One item that was not converted.

    Attributes:
        path: The item's file, relative to the source root.
        reason: Why it failed.

    Example:
        >>> str(ItemFailure("a.json", "bad box"))
        'a.json: bad box'
    """

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class ConversionReport:
    """The outcome of a folder conversion.

    Attributes:
        converted: Items written to the target.
        failures: Items skipped because they were bad, each with its file and reason.
        dropped: Annotations the target format cannot hold, counted per tool (e.g. ``{"polyline": 3}``).
        adjusted: Annotations written in another form the target can hold, counted per change: ``polygon_as_box``
            (a YOLO detect dataset), ``box_as_polygon`` (a YOLO segment dataset), ``clipped`` (to the image, YOLO),
            ``rounded_to_pixels`` (Pascal VOC's integer pixels), ``mask_as_box`` and so on.
        classes: The class names of the target in index order (YOLO index, COCO id - 1), where the format has them.

    Example:
        >>> report = ConversionReport(converted=2)
        >>> report.drop("polyline")
        >>> report.dropped
        {'polyline': 1}
    """

    converted: int = 0
    failures: list[ItemFailure] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    adjusted: dict[str, int] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every item was converted.

        Example:
            >>> ConversionReport().ok
            True
        """
        return not self.failures

    def add_failure(self, path: str, reason: str) -> None:
        """Record an item that was not converted.

        Args:
            path: The item's file, relative to the source root.
            reason: Why it failed.

        Example:
            >>> report = ConversionReport()
            >>> report.add_failure("x.json", "missing image")
            >>> len(report.failures)
            1
        """
        self.failures.append(ItemFailure(path, reason))

    def drop(self, tool: str, count: int = 1) -> None:
        """Count annotations of ``tool`` the target format cannot hold.

        Args:
            tool: The DM tool name (``polyline``, ``relation``...).
            count: How many were dropped.

        Example:
            >>> report = ConversionReport()
            >>> report.drop("relation", 2)
            >>> report.dropped["relation"]
            2
        """
        if count:
            self.dropped[tool] = self.dropped.get(tool, 0) + count

    def adjust(self, change: str, count: int = 1) -> None:
        """Count annotations written in another form (``polygon_as_box``, ``clipped``...).

        Args:
            change: What was changed.
            count: How many annotations.

        Example:
            >>> report = ConversionReport()
            >>> report.adjust("polygon_as_box", 2)
            >>> report.adjusted
            {'polygon_as_box': 2}
        """
        if count:
            self.adjusted[change] = self.adjusted.get(change, 0) + count

    def merge_counts(self, dropped: dict[str, int], adjusted: dict[str, int]) -> None:
        """Add one item's dropped and adjusted counts.

        Args:
            dropped: Per tool.
            adjusted: Per change.

        Example:
            >>> report = ConversionReport()
            >>> report.merge_counts({"polyline": 1}, {"clipped": 2})
            >>> report.dropped, report.adjusted
            ({'polyline': 1}, {'clipped': 2})
        """
        for tool, count in dropped.items():
            self.drop(tool, count)
        for change, count in adjusted.items():
            self.adjust(change, count)
