"""Module attributes that import their defining submodule on first access (PEP 562).

Shared by the three Synapse packages so each root ``__init__`` can re-export names from heavier submodules without
importing them up front.

Example:
    >>> import types, sys
    >>> pkg = types.ModuleType("demo_pkg")
    >>> sys.modules["demo_pkg"] = pkg
    >>> pkg.__getattr__, pkg.__dir__ = lazy_exports("demo_pkg", {"dumps": "json"}, importer=lambda name, module: None)
    >>> "dumps" in dir(pkg)
    True
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def _import(name: str, package: str) -> Any:
    return importlib.import_module(f".{name}", package)


def lazy_exports(
    package: str,
    names: Mapping[str, str],
    *,
    importer: Callable[[str, str], Any] = _import,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``__getattr__`` and ``__dir__`` functions for ``package`` that load ``names`` lazily.

    Args:
        package: The package's ``__name__``.
        names: Public name -> submodule (relative to ``package``) that defines it. A name must not also be a
            submodule's name, or the submodule would shadow it once imported.
        importer: How a submodule is imported (``importer(submodule, package)``); for tests.

    Returns:
        ``(__getattr__, __dir__)`` to assign in the package's namespace. A loaded name is cached in the package, so
        later lookups skip the hook.
    """

    def getattr_(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importer(module, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        namespace = vars(sys.modules[package])
        return sorted(set(namespace) | set(namespace.get("__all__", ())) | set(names))

    return getattr_, dir_
