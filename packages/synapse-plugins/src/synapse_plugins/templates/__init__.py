"""Plugin templates for ``synapse plugin create``, rendered with ``{{ name }}`` placeholders.

Each category starts with its built-in actions (``CATEGORY_ACTIONS``); code templates are ``*.py.tmpl`` files so
that tools do not take them for modules.

Example:
    >>> CATEGORY_ACTIONS["neural_net"]
    ('train', 'test', 'inference')
    >>> render("class {{ class_name }}:", {"class_name": "Train"})
    'class Train:'
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["CATEGORY_ACTIONS", "render"]

#: The built-in actions a new plugin of each category gets (see the plugins page).
CATEGORY_ACTIONS: dict[str, tuple[str, ...]] = {
    "neural_net": ("train", "test", "inference"),
    "export": ("export",),
    "upload": ("upload",),
    "smart_tool": ("auto_label",),
    "pre_annotation": ("pre_annotation", "to_task"),
    "post_annotation": ("post_annotation",),
    "data_validation": ("validation",),
}

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace every ``{{ key }}`` with its value; an unknown key is an error.

    Args:
        text: The template.
        values: The values.

    Returns:
        The rendered text.

    Raises:
        KeyError: For a placeholder without a value.

    Example:
        >>> render("{{ a }}-{{b}}", {"a": "1", "b": "2"})
        '1-2'
    """
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
