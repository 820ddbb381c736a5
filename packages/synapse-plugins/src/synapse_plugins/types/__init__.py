"""Custom pydantic types and fields for plugin parameters.

Plugin authors declare an action's parameters as a pydantic model; these types make the common cases one annotation
away:

- [`FileField`][synapse_plugins.types.FileField]: the input is an HTTP(S) URL or a ``data:`` URI, the validated value
  is the :class:`~pathlib.Path` of a local file (downloaded with caching, timeouts and a size limit).
- [`NonBlankStr`][synapse_plugins.types.NonBlankStr] and [`SlugStr`][synapse_plugins.types.SlugStr]: strings the
  platform's forms need.
- [`to_field_errors`][synapse_plugins.types.to_field_errors]: turns a pydantic ``ValidationError`` into the platform's
  field-error shape ``{field: [messages]}`` so the platform UI can show each message next to its field.

Example:
    >>> from pydantic import BaseModel
    >>> from synapse_plugins.types import NonBlankStr, to_field_errors
    >>> class Params(BaseModel):
    ...     name: NonBlankStr
    >>> try:
    ...     Params(name="   ")
    ... except Exception as exc:
    ...     print(to_field_errors(exc))
    {'name': ['String should have at least 1 character']}
"""

from __future__ import annotations

from .field_errors import to_field_errors
from .files import FileField
from .strings import NonBlankStr, SlugStr

__all__ = ["FileField", "NonBlankStr", "SlugStr", "to_field_errors"]
