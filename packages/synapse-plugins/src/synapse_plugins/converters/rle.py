"""COCO run-length masks <-> DM pixel indices.

COCO stores a mask as run lengths over the pixels in column-major order, starting with a run of zeros; the counts are
either a list of integers or pycocotools' compressed string. DM ``segmentation`` annotations hold the mask as the
sorted row-major indices (``y * width + x``) of its pixels.

Example:
    >>> rle = pixels_to_rle([1, 4], width=3, height=2)
    >>> rle
    {'size': [2, 3], 'counts': [2, 2, 2]}
    >>> rle_to_pixels(rle)
    [1, 4]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["pixels_to_rle", "rle_to_pixels"]


def pixels_to_rle(pixels: Iterable[int], width: int, height: int) -> dict[str, Any]:
    """Encode row-major pixel indices as an uncompressed COCO RLE.

    Args:
        pixels: Row-major indices of the mask's pixels (any order, duplicates ignored).
        width: Image width in pixels.
        height: Image height in pixels.

    Returns:
        ``{"size": [height, width], "counts": [...]}``.

    Raises:
        ValueError: An index lies outside the image.

    Example:
        >>> pixels_to_rle([], 2, 2)
        {'size': [2, 2], 'counts': [4]}
    """
    total = width * height
    columns = set()
    for index in pixels:
        if not 0 <= index < total:
            raise ValueError(f"pixel index {index} is outside a {width}x{height} image")
        y, x = divmod(index, width)
        columns.add(x * height + y)
    ordered = sorted(columns)
    counts: list[int] = []
    done = 0  # pixels covered by the runs so far
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        counts += [ordered[i] - done, j - i + 1]
        done = ordered[j] + 1
        i = j + 1
    if done < total or not counts:
        counts.append(total - done)
    return {"size": [height, width], "counts": counts}


def rle_to_pixels(rle: dict[str, Any]) -> list[int]:
    """Decode a COCO RLE (list or compressed string counts) to sorted row-major pixel indices.

    Args:
        rle: ``{"size": [height, width], "counts": list[int] | str}``.

    Returns:
        The sorted row-major indices of the mask's pixels.

    Raises:
        ValueError: The RLE is malformed or its runs do not fit the size.

    Example:
        >>> rle_to_pixels({"size": [2, 2], "counts": "112"})  # pycocotools encoding of pixel (x=0, y=1)
        [2]
    """
    try:
        height, width = (int(v) for v in rle["size"])
        counts = rle["counts"]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError("RLE needs 'size' [height, width] and 'counts'") from exc
    if isinstance(counts, (str, bytes)):
        counts = _decode_counts(counts.decode("ascii") if isinstance(counts, bytes) else counts)
    if not isinstance(counts, list) or not all(isinstance(c, int) and c >= 0 for c in counts):
        raise ValueError("RLE counts must be non-negative integers")
    if sum(counts) != width * height:
        raise ValueError(f"RLE runs cover {sum(counts)} pixels, the size says {width * height}")
    pixels: list[int] = []
    position = 0
    for run_index, run in enumerate(counts):
        if run_index % 2 == 1:
            for column_index in range(position, position + run):
                x, y = divmod(column_index, height)
                pixels.append(y * width + x)
        position += run
    pixels.sort()
    return pixels


def _decode_counts(text: str) -> list[int]:
    # pycocotools' rleFrString: 5-bit groups with a continuation bit, sign-extended, delta-coded from the 3rd run on.
    counts: list[int] = []
    pos = 0
    while pos < len(text):
        value = 0
        shift = 0
        more = True
        while more:
            if pos >= len(text):
                raise ValueError("compressed RLE counts end in the middle of a number")
            char = ord(text[pos]) - 48
            value |= (char & 0x1F) << shift
            more = bool(char & 0x20)
            pos += 1
            shift += 5
            if not more and char & 0x10:
                value |= -1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts
