"""The dependency direction plugins -> client -> fileutils holds, no package reaches into a sibling's private
modules, and importing a package stays cheap."""

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


# Where code that imports the packages lives; a file under packages/<dist>/ belongs to that distribution's package.
SCANNED = ["packages/*/src", "packages/*/tests", "packages/*/benchmarks", "examples", "tests", "benchmarks", "tools"]
FIRST_PARTY = ("synapse_fileutils", "synapse_client", "synapse_plugins", "synapse_testkit")


def _owner(path: Path) -> str | None:
    parts = path.relative_to(ROOT).parts
    return parts[1].replace("-", "_") if parts[0] == "packages" else None


def _is_private(module: str) -> bool:
    return any(part.startswith("_") and not part.endswith("__") for part in module.split(".")[1:])


def _private_sibling_imports(source: str, owner: str | None) -> list[str]:
    """The imports in ``source`` of another first-party package's private module (owner: the importing package)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for module in modules:
            top = module.split(".")[0]
            if top in FIRST_PARTY and top != owner and _is_private(module):
                found.append(f"line {node.lineno}: {module}")
                break
    return found


def test_no_package_imports_a_siblings_private_module() -> None:
    """What a sibling needs is public and documented (synapse_fileutils.atomic, .lazy, synapse_client.testing...)."""
    files = sorted({path for pattern in SCANNED for folder in ROOT.glob(pattern) for path in folder.rglob("*.py")})
    assert len(files) > 50  # the scan found the code
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in files
        if (found := _private_sibling_imports(path.read_text(encoding="utf-8"), _owner(path)))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    ("source", "where", "flagged"),
    [
        ("from synapse_fileutils._atomic import atomic_write", "packages/synapse-plugins/src/m.py", True),
        ("def f():\n    import synapse_client.ray._x", "examples/demo.py", True),
        ("from synapse_fileutils import _lazy", "tests/test_x.py", True),
        ("from synapse_fileutils._atomic import atomic_write", "packages/synapse-fileutils/tests/t.py", False),
        ("from synapse_fileutils.atomic import atomic_write", "examples/demo.py", False),
        ("from synapse_fileutils.__about__ import __version__", "packages/synapse-client/src/m.py", False),
        ("from ._private import x", "packages/synapse-client/src/m.py", False),
    ],
)
def test_private_import_check_flags_only_cross_package_private_names(source: str, where: str, flagged: bool) -> None:
    assert bool(_private_sibling_imports(source, _owner(ROOT / where))) is flagged


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_siblings_depend_on_each_other_at_the_same_version(package: str) -> None:
    """A package pins each sibling it needs to that sibling's own version (kept in its __about__.py)."""
    from packaging.requirements import Requirement  # a pytest dependency

    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: pytest brings tomli
        import tomli as tomllib

    def version(module: str) -> str:
        namespace: dict[str, str] = {}
        exec((PACKAGES[module] / "__about__.py").read_text(encoding="utf-8"), namespace)
        return namespace["__version__"]

    pyproject = PACKAGES[package].parents[1] / "pyproject.toml"
    requirements = [
        Requirement(line) for line in tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    ]
    pins = {r.name.replace("-", "_"): str(r.specifier) for r in requirements if r.name.replace("-", "_") in PACKAGES}
    assert set(pins) == ALLOWED[package]
    assert pins == {module: f"=={version(module)}" for module in pins}
