"""Write a new plugin folder from the templates: config.yaml, code, README and tests that pass as generated.

Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "hello"
    >>> created = create_plugin(folder, code="hello", name="Hello", category="pre_annotation")
    >>> sorted(p.name for p in (folder / "plugin").iterdir())
    ['__init__.py', 'pre_annotation.py', 'to_task.py']
    >>> from synapse_plugins import load_plugin_config
    >>> list(load_plugin_config(folder).actions)
    ['pre_annotation', 'to_task']
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

__all__ = ["create_plugin"]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,99}$")
# Hook-based built-ins have their own template folder; every other action uses the generic one.
_OWN_TEMPLATE = ("export", "upload")


def _template_text(*parts: str) -> str:
    return resources.files("synapse_plugins.templates").joinpath(*parts).read_text(encoding="utf-8")


def _class_name(action: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", action) if part)


def create_plugin(
    path: str | os.PathLike[str],
    *,
    code: str,
    name: str,
    category: str,
    actions: Sequence[str] = (),
    description: str = "",
) -> list[Path]:
    """Create a plugin folder.

    Args:
        path: The folder to create (must not exist, or be empty).
        code: The plugin's code (lowercase letters, digits, ``-``, ``_``).
        name: Its display name.
        category: Its [`PluginCategory`][synapse_plugins.categories.PluginCategory] value.
        actions: Extra action names beyond the category's built-in ones.
        description: A one-line description.

    Returns:
        The files written.

    Raises:
        ValueError: For a bad code, category or action name.
        FileExistsError: If the folder exists and is not empty.
    """
    import yaml

    from .__about__ import __version__
    from .categories import PluginCategory
    from .templates import CATEGORY_ACTIONS, render

    if not _NAME.match(code):
        raise ValueError(f"code {code!r}: use lowercase letters, digits, '-' and '_', starting with a letter")
    try:
        PluginCategory(category)
    except ValueError:
        raise ValueError(f"category {category!r}: one of {', '.join(c.value for c in PluginCategory)}") from None
    names = list(dict.fromkeys([*CATEGORY_ACTIONS[category], *actions]))
    for action in names:
        if not _NAME.match(action):
            raise ValueError(f"action {action!r}: use lowercase letters, digits, '-' and '_', starting with a letter")
    folder = Path(path)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(17, "folder exists and is not empty", str(folder))

    common = {
        "code": code,
        "name": name,
        "category": category,
        "description": description or f"{name}: a Synapse {category.replace('_', ' ')} plugin.",
        "sdk_version": __version__,
        "action_list": ", ".join(f"`{a}`" for a in names),
        "first_action": names[0],
    }
    files: dict[str, str] = {
        "README.md": render(_template_text("_common", "README.md"), common),
        "requirements.txt": render(_template_text("_common", "requirements.txt"), common),
        ".gitignore": _template_text("_common", "gitignore"),
        ".synapseignore": _template_text("_common", "synapseignore"),
        "pyproject.toml": _template_text("_common", "pyproject.toml"),
        "plugin/__init__.py": f'"""{name}."""\n',
    }
    config_actions: dict[str, dict[str, str]] = {}
    for action in names:
        module = action.replace("-", "_")
        values = {**common, "action": action, "module": module, "class_name": _class_name(action)}
        kind = action if action in _OWN_TEMPLATE and category == action else "_action"
        source = "action.py" if kind == "_action" else f"{action}.py"
        files[f"plugin/{module}.py"] = render(_template_text(kind, "plugin", f"{source}.tmpl"), values)
        files[f"tests/test_{module}.py"] = render(_template_text(kind, "tests", f"test_{source}.tmpl"), values)
        entry = (
            "Exporter" if kind == "export" else ("Uploader" if kind == "upload" else f"{values['class_name']}Action")
        )
        config_actions[action] = {"entrypoint": f"plugin.{module}:{entry}"}
    config = {
        "code": code,
        "name": name,
        "version": "0.1.0",
        "category": category,
        "description": common["description"],
        "requires": {"sdk": f">={__version__}"},
        "actions": config_actions,
    }
    files["config.yaml"] = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    written: list[Path] = []
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
