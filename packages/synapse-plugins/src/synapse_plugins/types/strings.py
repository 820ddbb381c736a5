"""Validated strings for plugin parameters.

Example:
    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(NonBlankStr).validate_python("  Cats and dogs ")
    'Cats and dogs'
    >>> TypeAdapter(SlugStr).validate_python("yolo-export_v2")
    'yolo-export_v2'
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

__all__ = ["NonBlankStr", "SlugStr"]

#: A string with surrounding white space stripped that still has at least one character (names, titles).
NonBlankStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

#: A lowercase identifier such as a plugin code or an action name: letters, digits, ``-`` and ``_``, starting with a
#: letter, at most 100 characters.
SlugStr = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_-]{0,99}$")]
