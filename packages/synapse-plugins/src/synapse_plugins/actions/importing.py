r"""Import a plugin's code from its folder, without leaving the folder on ``sys.path`` or mixing two plugins' modules.

Plugins usually keep their code in a package named ``plugin`` (the template does). Two plugins run in one process
(tests, a worker that serves several) would see each other's ``plugin`` package through ``sys.modules``. Before
importing from a folder, top-level modules of the same name loaded from elsewhere are evicted; the folder is on
``sys.path`` only while the action runs (imports inside the action's functions keep working).

Example:
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "hello_mod.py").write_text("def greet():\n    return 'hi'\n")
    >>> with plugin_imports(folder):
    ...     import_object(folder, "hello_mod:greet")()
    'hi'
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..config.model import split_entrypoint

__all__ = ["import_object", "plugin_imports"]


def _is_within(module: Any, folder: Path) -> bool:
    file = getattr(module, "__file__", None)
    if file is None:  # a namespace package: look at its search path
        paths = list(getattr(module, "__path__", []))
        return bool(paths) and all(Path(p).resolve().is_relative_to(folder) for p in paths)
    return Path(file).resolve().is_relative_to(folder)


def _evict_foreign(top: str, folder: Path) -> None:
    loaded = sys.modules.get(top)
    if loaded is None or _is_within(loaded, folder):
        return
    if not (folder / top).exists() and not (folder / f"{top}.py").exists():
        return  # not the plugin's own module (a library it imports): leave it
    for name in [n for n in sys.modules if n == top or n.startswith(f"{top}.")]:
        del sys.modules[name]


@contextlib.contextmanager
def plugin_imports(plugin_path: str | os.PathLike[str]) -> Iterator[Path]:
    """Put a plugin folder first on ``sys.path`` for the duration of the block.

    Args:
        plugin_path: The plugin folder.

    Yields:
        The folder, resolved.
    """
    folder = Path(plugin_path).resolve()
    entry = str(folder)
    sys.path.insert(0, entry)
    importlib.invalidate_caches()  # files written since the last import (tests, generated plugins)
    try:
        yield folder
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)


def import_object(plugin_path: str | os.PathLike[str], entrypoint: str) -> Any:
    """Import what an entrypoint names, from the plugin folder (call inside ``plugin_imports``).

    Args:
        plugin_path: The plugin folder.
        entrypoint: ``module:Name`` or ``module.Name`` (``Name`` may be dotted: ``module:Class.attr``).

    Returns:
        The object.

    Raises:
        ImportError: If the module cannot be imported (the original error, with its traceback).
        AttributeError: If the module has no such name.
    """
    folder = Path(plugin_path).resolve()
    module_name, attribute = split_entrypoint(entrypoint)
    _evict_foreign(module_name.split(".", 1)[0], folder)
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise AttributeError(f"module {module_name!r} has no attribute {attribute!r}") from None
    return target
