"""Write real plugin folders for tests: a config.yaml and Python modules, under a unique package name."""

from __future__ import annotations

import itertools
import textwrap
from pathlib import Path
from typing import Any

import yaml

_counter = itertools.count()


def write_plugin(
    root: Path,
    modules: dict[str, str],
    actions: dict[str, dict[str, Any]],
    *,
    code: str = "test-plugin",
    category: str = "pre_annotation",
    extra: dict[str, Any] | None = None,
    package: str = "plugin",
) -> Path:
    """Write ``root/<code>-N/`` with ``config.yaml`` and ``<package>/<module>.py`` files; return the folder.

    Module sources are dedented; entrypoints in ``actions`` may use ``{pkg}`` for the package name.
    """
    folder = root / f"{code}-{next(_counter)}"
    (folder / package).mkdir(parents=True)
    (folder / package / "__init__.py").write_text("")
    for name, source in modules.items():
        (folder / package / f"{name}.py").write_text(textwrap.dedent(source))
    config = {
        "code": code,
        "name": code.replace("-", " ").title(),
        "version": "0.1.0",
        "category": category,
        "actions": {
            name: {k: (v.format(pkg=package) if isinstance(v, str) else v) for k, v in spec.items()}
            for name, spec in actions.items()
        },
        **(extra or {}),
    }
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder
