"""Progress of a run over weighted categories: percent, overall percent and time remaining. Pure: no I/O, no clock.

An action declares its progress categories with proportions (``{"dataset": 20, "train": 75, "model_upload": 5}``);
proportions are normalized, so they need not add up to 100. Each category's percent never goes backwards, ``total
== 0`` is an empty category that is done, and the first report need not start at ``current == 0``: the rate is
measured from the first report seen.

Example:
    >>> tracker = ProgressTracker({"download": 1, "convert": 3})
    >>> tracker.update("download", 5, 10, now=0.0)
    >>> tracker.update("download", 10, 10, now=2.0)
    >>> tracker.update("convert", 25, 100, now=3.0)
    >>> tracker.overall
    43.75
    >>> tracker.snapshot("convert").percent
    25.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT_CATEGORY", "CategoryProgress", "ProgressTracker", "normalize_categories"]

#: The category used when an action declares none.
DEFAULT_CATEGORY = ""


def normalize_categories(categories: Mapping[str, Any] | None) -> dict[str, float]:
    """Turn declared progress categories into proportions that add up to 100.

    Accepts ``{name: weight}`` and the v1 form ``{name: {"proportion": weight}}``.

    Args:
        categories: The declared categories, or None for one unnamed category.

    Returns:
        ``{name: proportion}`` summing to 100, in declaration order.

    Raises:
        ValueError: For a negative, non-finite or non-numeric weight, or weights that are all zero.

    Example:
        >>> normalize_categories({"a": {"proportion": 1}, "b": 3})
        {'a': 25.0, 'b': 75.0}
        >>> normalize_categories(None)
        {'': 100.0}
    """
    if not categories:
        return {DEFAULT_CATEGORY: 100.0}
    weights: dict[str, float] = {}
    for name, spec in categories.items():
        weight = spec.get("proportion") if isinstance(spec, Mapping) else spec
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) or weight < 0:
            raise ValueError(f"progress category {name!r}: proportion must be a number >= 0, got {weight!r}")
        weights[str(name)] = float(weight)
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("progress categories: at least one proportion must be above 0")
    return {name: weight * 100.0 / total for name, weight in weights.items()}


@dataclass(frozen=True)
class CategoryProgress:
    """One category's progress at a moment.

    Attributes:
        category: Its name.
        proportion: Its share of the whole run, in percent.
        current: Items done (as last reported).
        total: Items in all (as last reported).
        percent: Percent done, 0 to 100, never lower than an earlier report's.
        time_remaining: Estimated seconds left, or None before a rate is known (and 0 when done).
        elapsed: Seconds since the category's first report.
        failed: Whether the category was marked failed.

    Example:
        >>> CategoryProgress("a", 100.0, 1, 2, 50.0, 3.0, 3.0).done
        False
    """

    category: str
    proportion: float
    current: int
    total: int
    percent: float
    time_remaining: float | None
    elapsed: float
    failed: bool = False

    @property
    def done(self) -> bool:
        """Whether the category reached 100 %.

        Example:
            >>> CategoryProgress("a", 100.0, 0, 0, 100.0, 0.0, 0.0).done
            True
        """
        return self.percent >= 100.0


@dataclass
class _State:
    first_time: float
    first_current: int
    current: int = 0
    total: int = 0
    percent: float = 0.0
    last_time: float = 0.0
    failed: bool = False


class ProgressTracker:
    """Track progress over weighted categories.

    Args:
        categories: Declared categories (see
            [`normalize_categories`][synapse_plugins.run.progress.normalize_categories]); None tracks one
            unnamed category. A report for an undeclared category is an error when categories were declared.

    Example:
        >>> tracker = ProgressTracker(None)
        >>> tracker.update(None, 0, 0, now=0.0)  # an empty run is done, not a crash
        >>> tracker.overall
        100.0
    """

    def __init__(self, categories: Mapping[str, Any] | None = None) -> None:
        self.declared = bool(categories)
        self.proportions = normalize_categories(categories)
        self._states: dict[str, _State] = {}
        self.last_category: str = DEFAULT_CATEGORY if not self.declared else next(iter(self.proportions))

    def category_name(self, category: str | None) -> str:
        """Resolve a reported category: None means the only (or the unnamed) category.

        Args:
            category: The category passed to ``set_progress``.

        Returns:
            The declared category name.

        Raises:
            ValueError: For an undeclared category, or None when several are declared.

        Example:
            >>> ProgressTracker({"a": 1}).category_name(None)
            'a'
        """
        if category is None or category == DEFAULT_CATEGORY:
            if len(self.proportions) == 1:
                return next(iter(self.proportions))
            raise ValueError(f"set_progress needs a category: one of {', '.join(self.proportions)}")
        if category not in self.proportions:
            if not self.declared:
                raise ValueError(f"progress category {category!r} was not declared (the action declares none)")
            raise ValueError(f"unknown progress category {category!r}: one of {', '.join(self.proportions)}")
        return category

    def update(self, category: str | None, current: int, total: int, *, now: float) -> None:
        """Record that ``current`` of ``total`` items of a category are done.

        Args:
            category: The category (None for the only one).
            current: Items done; clamped to ``0..total``.
            total: Items in all; 0 means the category is empty and done.
            now: A monotonic clock reading in seconds.

        Raises:
            ValueError: For a negative total, non-integer counts, or an unknown category.

        Example:
            >>> t = ProgressTracker(None)
            >>> t.update(None, 50, 100, now=0.0)
            >>> t.update(None, 10, 100, now=1.0)  # never backwards
            >>> t.snapshot().percent
            50.0
        """
        name = self.category_name(category)
        for label, value in (("current", current), ("total", total)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"set_progress: {label} must be an int, got {value!r}")
        if total < 0:
            raise ValueError(f"set_progress: total must be >= 0, got {total}")
        current = min(max(current, 0), total)
        percent = 100.0 if total == 0 else round(current * 100.0 / total, 2)
        state = self._states.get(name)
        if state is None:
            state = self._states[name] = _State(first_time=now, first_current=current, last_time=now)
        state.current, state.total, state.last_time = current, total, now
        state.percent = max(state.percent, percent)
        self.last_category = name

    def fail(self, category: str | None) -> None:
        """Mark a category failed (its percent stays where it was).

        Args:
            category: The category (None for the last one reported).

        Example:
            >>> t = ProgressTracker(None)
            >>> t.fail(None)
            >>> t.snapshot().failed
            True
        """
        name = self.last_category if category is None else self.category_name(category)
        state = self._states.get(name)
        if state is None:
            state = self._states[name] = _State(first_time=0.0, first_current=0)
        state.failed = True

    def snapshot(self, category: str | None = None) -> CategoryProgress:
        """Return one category's progress (default: the last one reported).

        Args:
            category: The category, or None for the last reported.

        Returns:
            Its progress.

        Example:
            >>> t = ProgressTracker(None)
            >>> t.update(None, 1, 4, now=0.0)
            >>> t.update(None, 2, 4, now=10.0)
            >>> t.snapshot().time_remaining
            20.0
        """
        name = self.last_category if category is None else self.category_name(category)
        state = self._states.get(name)
        proportion = self.proportions[name]
        if state is None:
            return CategoryProgress(name, proportion, 0, 0, 0.0, None, 0.0)
        elapsed = max(state.last_time - state.first_time, 0.0)
        remaining: float | None = None
        if state.percent >= 100.0:
            remaining = 0.0
        elif state.current > state.first_current and elapsed > 0:
            rate = (state.current - state.first_current) / elapsed
            remaining = round((state.total - state.current) / rate, 2)
        return CategoryProgress(
            name, proportion, state.current, state.total, state.percent, remaining, round(elapsed, 3), state.failed
        )

    @property
    def overall(self) -> float:
        """The whole run's percent: each category's percent weighted by its proportion.

        Example:
            >>> t = ProgressTracker({"a": 1, "b": 1})
            >>> t.update("a", 1, 1, now=0.0)
            >>> t.overall
            50.0
        """
        total = sum(self.proportions[name] * state.percent / 100.0 for name, state in self._states.items())
        return float(round(min(total, 100.0), 2))

    def categories(self) -> list[CategoryProgress]:
        """Every declared category's progress, in declaration order.

        Example:
            >>> [c.category for c in ProgressTracker({"a": 1, "b": 2}).categories()]
            ['a', 'b']
        """
        return [self.snapshot(name) for name in self.proportions]
