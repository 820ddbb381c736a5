"""Errors raised by the dataset converters.

The tree (under [`PluginError`][synapse_plugins.errors.PluginError])::

    ConversionError             a conversion could not run or an item could not be converted
     ├── LayoutError            the source folder does not have a layout the converter reads
     └── ItemError              one item (an annotation file, an image) is bad; carries the file and the reason

In lenient mode (the default) an [`ItemError`][synapse_plugins.converters.errors.ItemError] is recorded in the
[`ConversionReport`][synapse_plugins.converters.report.ConversionReport] and the other items are still converted;
in strict mode
it is raised at the first bad item.

Example:
    >>> err = ItemError("train/json/a.json", "bounding box needs 4 numbers")
    >>> str(err)
    'train/json/a.json: bounding box needs 4 numbers'
    >>> err.path, err.reason
    ('train/json/a.json', 'bounding box needs 4 numbers')
"""

from __future__ import annotations

from ..errors import PluginError

__all__ = ["ConversionError", "ItemError", "LayoutError"]


class ConversionError(PluginError):
    """Base class of every error a converter raises on purpose.

    Args:
        path: The file or folder the error is about (relative to the source root where possible).
        reason: What is wrong, in words.

    Example:
        >>> ConversionError("data", "no images").reason
        'no images'
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class LayoutError(ConversionError):
    """The source folder is not laid out the way the converter expects.

    Example:
        >>> issubclass(LayoutError, ConversionError)
        True
    """


class ItemError(ConversionError):
    """One item cannot be converted; the others may still be.

    Example:
        >>> ItemError("a.json", "not JSON").path
        'a.json'
    """
