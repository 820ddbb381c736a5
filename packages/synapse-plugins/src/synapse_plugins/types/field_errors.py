"""Turn pydantic validation errors into the platform's field-error shape.

The platform (a Django REST Framework backend) shows form errors as ``{field: [messages]}``; nested models give
nested dicts, list items are keyed by their index, and errors that belong to no field go under
``non_field_errors``.

Example:
    >>> from pydantic import BaseModel, ValidationError
    >>> class Box(BaseModel):
    ...     width: int
    >>> class Params(BaseModel):
    ...     name: str
    ...     boxes: list[Box]
    >>> try:
    ...     Params.model_validate({"boxes": [{"width": 1}, {"width": "wide"}]})
    ... except ValidationError as exc:
    ...     errors = to_field_errors(exc)
    >>> errors["name"]
    ['Field required']
    >>> errors["boxes"][1]["width"]
    ['Input should be a valid integer, unable to parse string as an integer']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = ["NON_FIELD_ERRORS", "FieldErrors", "to_field_errors"]

#: The key DRF uses for errors that belong to the object rather than to one of its fields.
NON_FIELD_ERRORS = "non_field_errors"

#: ``{field: [messages]}``, where a field's value is a nested ``FieldErrors`` for nested models and lists.
FieldErrors = dict[str | int, Any]


def _node_for(tree: FieldErrors, location: tuple[str | int, ...]) -> FieldErrors:
    node = tree
    for key in location:
        child = node.get(key)
        if isinstance(child, list):  # the field already has its own messages: keep them beside the nested ones
            child = {NON_FIELD_ERRORS: child}
            node[key] = child
        elif child is None:
            child = {}
            node[key] = child
        node = child
    return node


def to_field_errors(error: ValidationError) -> FieldErrors:
    """Map a pydantic ``ValidationError`` to ``{field: [messages]}``, nesting dicts for nested fields.

    Every failing field appears exactly once, with all its messages in the order pydantic reported them. Union and
    tagged-union branch names that pydantic adds to locations (``function-after[...]``, the tag) are kept, so the path
    always leads to the failing value.

    Args:
        error: The error pydantic raised.

    Returns:
        A dict ready to return to the platform: keys are field names (or list indices), values are lists of messages
        for a field, or nested dicts for nested models and lists. Model-level errors go under ``non_field_errors``.

    Example:
        >>> from pydantic import BaseModel, ValidationError
        >>> class Params(BaseModel):
        ...     epochs: int
        >>> try:
        ...     Params(epochs="many")
        ... except ValidationError as exc:
        ...     print(to_field_errors(exc))
        {'epochs': ['Input should be a valid integer, unable to parse string as an integer']}
    """
    tree: FieldErrors = {}
    for item in error.errors(include_url=False, include_input=False):
        location = tuple(item["loc"])
        parent = _node_for(tree, location[:-1])
        key = location[-1] if location else NON_FIELD_ERRORS
        existing = parent.get(key)
        if isinstance(existing, dict):  # nested errors came first: this field's own messages sit beside them
            parent = existing
            key = NON_FIELD_ERRORS
        parent.setdefault(key, []).append(item["msg"])
    return tree
