"""Class names to stable indices (YOLO class index, COCO category id - 1).

Indices are explicit: either the caller gives the list (and an unknown name is an error), or names get the next
index in the order they are first met while the items are walked in sorted file order, so the same dataset always
yields the same indices. Nothing is ever reordered afterwards.

Example:
    >>> index = ClassIndex(["cat", "dog"])
    >>> index.index("dog")
    1
    >>> growing = ClassIndex()
    >>> growing.index("b"), growing.index("a"), growing.names
    (0, 1, ['b', 'a'])
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import ConversionError, ItemError

__all__ = ["ClassIndex"]


class ClassIndex:
    """A fixed or growing mapping from class name to index.

    Args:
        names: The classes in index order. When given, the mapping is fixed unless ``grow`` is true.
        grow: Whether unknown names get the next index; defaults to true only when ``names`` is not given.

    Raises:
        ConversionError: ``names`` holds a duplicate or an empty name.

    Example:
        >>> ClassIndex(["a", "a"])
        Traceback (most recent call last):
        ...
        synapse_plugins.converters.errors.ConversionError: classes: duplicate class name 'a'
    """

    def __init__(self, names: Iterable[str] | None = None, *, grow: bool | None = None) -> None:
        self._names: list[str] = []
        self._index: dict[str, int] = {}
        for name in names or ():
            if not isinstance(name, str) or not name:
                raise ConversionError("classes", f"class names must be non-empty strings, got {name!r}")
            if name in self._index:
                raise ConversionError("classes", f"duplicate class name {name!r}")
            self._index[name] = len(self._names)
            self._names.append(name)
        self.grow = names is None if grow is None else grow

    @property
    def names(self) -> list[str]:
        """The class names in index order (a copy).

        Example:
            >>> ClassIndex(["x"]).names
            ['x']
        """
        return list(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def index(self, name: str) -> int:
        """Return the index of ``name``, giving it the next one first if the mapping grows.

        Args:
            name: A class name.

        Returns:
            Its zero-based index.

        Raises:
            ItemError: The mapping is fixed and does not know ``name``, or the name is empty.

        Example:
            >>> ClassIndex(["a"]).index("b")
            Traceback (most recent call last):
            ...
            synapse_plugins.converters.errors.ItemError: b: class is not in the given class list
        """
        found = self._index.get(name)
        if found is not None:
            return found
        if not isinstance(name, str) or not name:
            raise ItemError(repr(name), "class name must be a non-empty string")
        if not self.grow:
            raise ItemError(name, "class is not in the given class list")
        self._index[name] = len(self._names)
        self._names.append(name)
        return self._index[name]
