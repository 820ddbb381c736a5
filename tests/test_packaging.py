"""The three packages share one version and pin each other to it; the Installation page lists what pyproject says."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself depends on tomli before Python 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
DISTS = {
    "synapse-fileutils": "synapse_fileutils",
    "synapse-client": "synapse_client",
    "synapse-plugins": "synapse_plugins",
}
REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[(?P<extras>[^\]]+)\])?\s*(?P<spec>.*)$")


def pyproject(dist: str) -> dict:
    return tomllib.loads((ROOT / "packages" / dist / "pyproject.toml").read_text(encoding="utf-8"))


def about_version(dist: str) -> str:
    text = (ROOT / "packages" / dist / "src" / DISTS[dist] / "__about__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    assert match, f"{dist}: no __version__ in __about__.py"
    return match.group(1)


def test_the_three_packages_have_one_version() -> None:
    versions = {dist: about_version(dist) for dist in DISTS}
    assert len(set(versions.values())) == 1, f"bump all three together (tools/bump_version.py): {versions}"


@pytest.mark.parametrize("dist", sorted(DISTS))
def test_siblings_are_pinned_to_that_version(dist: str) -> None:
    version = about_version(dist)
    project = pyproject(dist)["project"]
    assert project["dynamic"] == ["version"]  # the version lives in __about__.py only
    for requirement in project["dependencies"]:
        match = REQUIREMENT.match(requirement)
        assert match, requirement
        if match["name"] in DISTS:
            assert match["spec"] == f"=={version}", f"{dist} must pin {match['name']}=={version}, not {requirement!r}"


def test_bump_version_moves_all_three_and_their_pins(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for dist, module in DISTS.items():
        for part in ("pyproject.toml", f"src/{module}/__about__.py"):
            (copy / "packages" / dist / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / "packages" / dist / part, copy / "packages" / dist / part)
    (copy / "tools").mkdir()
    shutil.copy(ROOT / "tools" / "bump_version.py", copy / "tools")
    subprocess.run([sys.executable, str(copy / "tools" / "bump_version.py"), "9.8.7"], check=True, capture_output=True)
    for dist, module in DISTS.items():
        assert '__version__ = "9.8.7"' in (copy / "packages" / dist / "src" / module / "__about__.py").read_text()
    client = (copy / "packages/synapse-client/pyproject.toml").read_text()
    plugins = (copy / "packages/synapse-plugins/pyproject.toml").read_text()
    assert '"synapse-fileutils==9.8.7"' in client
    assert '"synapse-client==9.8.7"' in plugins
    assert '"synapse-fileutils==9.8.7"' in plugins


# --- the Installation page's tables -------------------------------------------------------------------------------


def _adds(dist: str, requirements: list[str]) -> set[str]:
    """What a list of requirements adds, as the page writes it: `ray[default]`, or `storage` for the own extra."""
    names = set()
    for requirement in requirements:
        match = REQUIREMENT.match(requirement)
        assert match, requirement
        if match["name"] == dist:  # "synapse-fileutils[storage]": another extra of the same package
            names.update(extra.strip() for extra in match["extras"].split(","))
        else:
            names.add(match["name"] + (f"[{match['extras']}]" if match["extras"] else ""))
    return names


def _page_tables(page: Path) -> dict[str, dict[str, set[str]]]:
    """Per `## synapse-...` section: first cell of each table row -> the backticked names of its second cell."""
    tables: dict[str, dict[str, set[str]]] = {}
    section, label = None, None
    for line in page.read_text(encoding="utf-8").splitlines():
        if heading := re.match(r"^## (synapse-[a-z]+)\s*$", line):
            section = heading.group(1)
            tables[section] = {}
        elif line.startswith("## "):
            section = None
        elif section and re.match(r"^\|[-| ]+\|$", line):
            tables[section].pop(label or "", None)  # the row above the separator was the header
        elif section and line.startswith("|"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            label = cells[0].strip("`") if cells[0].startswith("`") else "core"  # an unquoted first cell: the core
            tables[section][label] = set(re.findall(r"`([^`]+)`", cells[1]))
    return tables


@pytest.mark.parametrize("page", ["docs/installation.md", "docs_ko/installation.md"])
def test_installation_page_lists_the_dependencies_pyproject_declares(page: str) -> None:
    tables = _page_tables(ROOT / page)
    assert set(tables) == set(DISTS)
    for dist in DISTS:
        project = pyproject(dist)["project"]
        expected = {"core": _adds(dist, project["dependencies"])}
        expected |= {
            extra: _adds(dist, requirements) for extra, requirements in project.get("optional-dependencies", {}).items()
        }
        assert tables[dist] == expected, f"{page}, {dist}: the table disagrees with packages/{dist}/pyproject.toml"
