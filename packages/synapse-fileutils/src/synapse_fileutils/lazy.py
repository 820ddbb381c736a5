"""Module attributes that import their defining submodule on first access (PEP 562): the public face.

The three Synapse package roots use it to re-export names from heavier submodules without importing them up front;
a plugin package can do the same::

    __getattr__, __dir__ = lazy_exports(__name__, {"MyExporter": "exporter"})

Example:
    >>> import sys, types
    >>> from synapse_fileutils.lazy import lazy_exports
    >>> pkg = types.ModuleType("demo_lazy_pkg")
    >>> sys.modules["demo_lazy_pkg"] = pkg
    >>> pkg.__getattr__, pkg.__dir__ = lazy_exports("demo_lazy_pkg", {"dumps": "json"}, importer=lambda n, p: None)
    >>> "dumps" in dir(pkg)
    True
"""

from __future__ import annotations

from ._lazy import lazy_exports

__all__ = ["lazy_exports"]
