"""The per-item failure policy and report shared by exports and uploads: one bad item is recorded, the rest go on.

An [`ItemReport`][synapse_plugins.items.ItemReport] counts, per category (``data_file``, ``original_file``...), the
items waiting, done and failed, and keeps each failure's name and reason. ``report.item(category, name)`` wraps the
work on one item: an exception inside it becomes a recorded failure (``strict=True`` re-raises it instead), success
is counted on a clean exit.

The converters' ``ItemRunner`` + [`ConversionReport`][synapse_plugins.converters.report.ConversionReport] follow
the same policy (one bad item is one record, ``strict`` stops) under a different contract, on purpose, so they are
not built on this class: a converter's strict mode raises an ``ItemError`` naming the item's file (this re-raises the
original exception); an error about the target (a ``ConversionError`` that is not an ``ItemError``) stops a
conversion even in lenient mode (here every exception is the item's); reasons are worded for data files ("malformed
data (...)", "cannot read: ...") instead of by :func:`describe`; each item reports progress; and the report is a
dataclass users read and fill (``converted``, ``failures`` of ``ItemFailure(path, reason)``), not per-category
counts of ``ItemTrouble(name, reason)``.

Example:
    >>> report = ItemReport(["data_file"], total=2)
    >>> with report.item("data_file", "a.json"):
    ...     pass
    >>> with report.item("data_file", "b.json"):
    ...     raise ValueError("data is null")
    >>> report.counts("data_file")
    {'stand_by': 0, 'success': 1, 'failed': 1}
    >>> [str(f) for f in report.failures("data_file")]
    ['b.json: ValueError: data is null']
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = ["ItemFailed", "ItemReport", "ItemStatus", "ItemTrouble"]


@dataclass(frozen=True)
class ItemTrouble:
    """One item that failed in one category.

    Attributes:
        name: The item's output name (or its id when it has none yet).
        reason: Why it failed, in words a user can act on.

    Example:
        >>> ItemTrouble("a.jpg", "HTTP 404").as_pair()
        ['a.jpg', 'HTTP 404']
    """

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"

    def as_pair(self) -> list[str]:
        """Return ``[name, reason]``, the shape ``error_file_list.json`` stores."""
        return [self.name, self.reason]


class ItemFailed(Exception):  # noqa: N818 - an outcome signal a hook raises, named like the platform's status
    """Raised inside ``report.item(...)`` to fail the item with a chosen reason (no traceback needed).

    Example:
        >>> str(ItemFailed("data is null"))
        'data is null'
    """


class ItemStatus:
    """The platform's per-file statuses in export events.

    Example:
        >>> ItemStatus.SUCCESS, ItemStatus.FAILED
        ('success', 'failed')
    """

    SUCCESS = "success"
    FAILED = "failed"
    STAND_BY = "stand_by"


class ItemReport:
    """Per-category counts and failures of items processed one at a time.

    Args:
        categories: The categories counted (e.g. ``["data_file", "original_file"]``).
        total: Items expected: one number for every category, or ``{category: number}`` (``stand_by`` starts there
            and goes down).
        strict: Re-raise the first failure instead of recording it.

    Example:
        >>> report = ItemReport(["upload"], total=1)
        >>> report.fail("upload", "big.bin", "too large")
        >>> report.ok, report.counts("upload")["failed"]
        (False, 1)
    """

    def __init__(self, categories: Iterable[str], *, total: int | Mapping[str, int] = 0, strict: bool = False) -> None:
        self.strict = strict

        def start(name: str) -> int:
            return max(int(total.get(name, 0) if isinstance(total, Mapping) else total), 0)

        self._counts = {name: {"stand_by": start(name), "success": 0, "failed": 0} for name in categories}
        self._failures: dict[str, list[ItemTrouble]] = {name: [] for name in self._counts}

    def _bucket(self, category: str) -> dict[str, int]:
        try:
            return self._counts[category]
        except KeyError:
            raise ValueError(f"unknown item category {category!r}: one of {', '.join(self._counts)}") from None

    def counts(self, category: str) -> dict[str, int]:
        """Return ``{stand_by, success, failed}`` of a category (a copy)."""
        return dict(self._bucket(category))

    def failures(self, category: str) -> list[ItemTrouble]:
        """Return the failures of a category, in order (a copy)."""
        self._bucket(category)
        return list(self._failures[category])

    @property
    def ok(self) -> bool:
        """Whether nothing failed in any category."""
        return not any(self._failures.values())

    def _settle(self, bucket: dict[str, int]) -> None:
        if bucket["stand_by"] > 0:
            bucket["stand_by"] -= 1

    def succeed(self, category: str) -> None:
        """Count one item done in ``category``."""
        bucket = self._bucket(category)
        self._settle(bucket)
        bucket["success"] += 1

    def fail(self, category: str, name: str, reason: str) -> None:
        """Record one failed item in ``category``.

        Args:
            category: The category.
            name: The item's name.
            reason: Why it failed.
        """
        bucket = self._bucket(category)
        self._settle(bucket)
        bucket["failed"] += 1
        self._failures[category].append(ItemTrouble(str(name), str(reason)))

    def skip(self, category: str) -> None:
        """Take one item out of ``stand_by`` without counting it (it was not attempted in this category)."""
        self._settle(self._bucket(category))

    @contextlib.contextmanager
    def item(self, category: str, name: str) -> Iterator[None]:
        """Do the work on one item inside this block: success is counted, an exception is recorded as a failure.

        Args:
            category: The category.
            name: The item's name for the failure record.

        Yields:
            Nothing.

        Raises:
            Exception: With ``strict=True``, whatever the block raised.
        """
        try:
            yield
        except Exception as exc:
            if self.strict:
                raise
            self.fail(category, name, describe(exc))
        else:
            self.succeed(category)


def describe(exc: BaseException) -> str:
    """Say why an item failed: the message alone for expected failures, prefixed with the type otherwise.

    Args:
        exc: The exception.

    Returns:
        A one-line reason.

    Example:
        >>> describe(ItemFailed("data is null")), describe(KeyError("url"))
        ('data is null', "KeyError: 'url'")
    """
    from .errors import PluginError

    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, (ItemFailed, PluginError)) or type(exc).__module__.startswith("synapse_"):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
