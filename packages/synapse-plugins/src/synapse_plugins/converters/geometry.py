"""Small geometry helpers shared by the format modules (numbers, boxes, polygons).

Example:
    >>> polygon_area([[0, 0], [4, 0], [4, 3]])
    6.0
    >>> points_bbox([[1, 2], [4, 6]])
    [1.0, 2.0, 3.0, 4.0]
"""

from __future__ import annotations

import math
from typing import Any

from .errors import ItemError

__all__ = ["MAX_COORDINATE", "as_box", "as_point", "as_points", "number_text", "points_bbox", "polygon_area"]


#: Largest coordinate magnitude accepted (pixels): far beyond any image, small enough that arithmetic stays exact.
MAX_COORDINATE = 1e9


def _finite(value: Any, label: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ItemError(label, f"{what} must hold finite numbers, got {str(value)[:40]!r}")
    try:
        number = float(value)
    except OverflowError:  # an integer with hundreds of digits
        number = math.inf
    if not math.isfinite(number) or abs(number) > MAX_COORDINATE:
        raise ItemError(label, f"{what} must hold finite numbers within +-{MAX_COORDINATE:g}, got {str(value)[:40]}")
    return number


def as_box(data: Any, label: str = "item") -> list[float]:
    """Check a DM bounding box ``[x, y, w, h]`` and return it as floats.

    Args:
        data: The annotation's ``data``.
        label: Names the item in errors.

    Returns:
        ``[x, y, w, h]``.

    Raises:
        ItemError: Not four finite numbers, or a negative width or height.

    Example:
        >>> as_box([1, 2, 3, 4])
        [1.0, 2.0, 3.0, 4.0]
    """
    if not isinstance(data, (list, tuple)) or len(data) != 4:
        raise ItemError(label, f"bounding box needs [x, y, w, h], got {data!r}")
    box = [_finite(v, label, "bounding box") for v in data]
    if box[2] < 0 or box[3] < 0:
        raise ItemError(label, f"bounding box has a negative size {box[2]}x{box[3]}")
    return box


def as_point(data: Any, label: str = "item") -> list[float]:
    """Check a DM point ``[x, y]`` and return it as floats.

    Args:
        data: The annotation's ``data``.
        label: Names the item in errors.

    Returns:
        ``[x, y]``.

    Raises:
        ItemError: Not two finite numbers.

    Example:
        >>> as_point([1, 2])
        [1.0, 2.0]
    """
    if not isinstance(data, (list, tuple)) or len(data) != 2:
        raise ItemError(label, f"point needs [x, y], got {data!r}")
    return [_finite(v, label, "point") for v in data]


def as_points(data: Any, label: str = "item", minimum: int = 3) -> list[list[float]]:
    """Check a DM point list ``[[x, y], ...]`` (polygon, polyline) and return it as floats.

    Args:
        data: The annotation's ``data``.
        label: Names the item in errors.
        minimum: The fewest points accepted (3 for a polygon, 2 for a polyline).

    Returns:
        The points.

    Raises:
        ItemError: Not a list of points, or fewer than ``minimum``.

    Example:
        >>> as_points([[0, 0], [1, 0], [1, 1]])
        [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]
    """
    if not isinstance(data, (list, tuple)):
        raise ItemError(label, f"points must be a list of [x, y], got {data!r}")
    points = [as_point(p, label) for p in data]
    if len(points) < minimum:
        raise ItemError(label, f"needs at least {minimum} points, got {len(points)}")
    return points


def points_bbox(points: list[list[float]]) -> list[float]:
    """Return the ``[x, y, w, h]`` extent of points.

    Args:
        points: At least one ``[x, y]``.

    Returns:
        The enclosing box.

    Example:
        >>> points_bbox([[2, 2]])
        [2.0, 2.0, 0.0, 0.0]
    """
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def polygon_area(points: list[list[float]]) -> float:
    """Return the area of a simple polygon (shoelace formula).

    Args:
        points: The vertices in order.

    Returns:
        The area (non-negative).

    Example:
        >>> polygon_area([[0, 0], [2, 0], [2, 2], [0, 2]])
        4.0
    """
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2.0


def number_text(value: float) -> str:
    """Format a number for text formats: integral values without a fraction, others with up to 10 decimals.

    Args:
        value: The number.

    Returns:
        Its shortest faithful text without an exponent.

    Example:
        >>> number_text(3.0), number_text(0.1234567), number_text(-0.0)
        ('3', '0.1234567', '0')
    """
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
