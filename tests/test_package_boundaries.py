"""The dependency direction plugins -> client -> fileutils holds, and importing a package stays cheap."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "synapse_fileutils": ROOT / "packages/synapse-fileutils/src/synapse_fileutils",
    "synapse_client": ROOT / "packages/synapse-client/src/synapse_client",
    "synapse_plugins": ROOT / "packages/synapse-plugins/src/synapse_plugins",
}
# What each package may import from its siblings.
ALLOWED = {
    "synapse_fileutils": set(),
    "synapse_client": {"synapse_fileutils"},
    "synapse_plugins": {"synapse_fileutils", "synapse_client"},
}
# Modules that must not load at `import <package>` time.
HEAVY = {"ray", "requests", "aiohttp", "websockets", "yaml", "fsspec", "pydantic", "urllib3", "click"}


def _imported_top_levels(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_package_imports_only_packages_below_it(package: str) -> None:
    siblings = set(PACKAGES) - {package}
    offenders = {
        str(path.relative_to(ROOT)): sorted(found)
        for path in PACKAGES[package].rglob("*.py")
        if (found := (_imported_top_levels(path) & siblings) - ALLOWED[package])
    }
    assert offenders == {}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_importing_package_loads_no_heavy_dependency(package: str) -> None:
    code = (
        f"import json, sys; import {package}; "
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(HEAVY)!r}))))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert loaded == []
