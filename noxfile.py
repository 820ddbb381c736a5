"""Every check a contributor or CI runs.

`nox` runs the default sessions (everything a change must pass); `nox -l` lists them all. Each session gets its own
virtualenv made by uv, pinned by the workspace lock file `uv.lock` (exported as constraints), so what passes here
installs the same versions a user of the lock gets.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.error_on_external_run = True
nox.options.sessions = [
    "lint",
    "typecheck",
    "tests-fileutils",
    "tests-client",
    "tests-plugins",
    "tests-cross",
    "tests-examples",
    "install-alone",
    "docs-examples",
    "docs",
    "demo",
]

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
# short name -> (distribution, workspace packages it needs, in install order)
PACKAGES: dict[str, tuple[str, list[str]]] = {
    "fileutils": ("synapse-fileutils", ["synapse-fileutils"]),
    "client": ("synapse-client", ["synapse-fileutils", "synapse-client"]),
    "plugins": ("synapse-plugins", ["synapse-fileutils", "synapse-client", "synapse-plugins"]),
}
# Distributions a package must not bring in when installed alone (without extras).
FORBIDDEN_ALONE = {
    "synapse-fileutils": ["ray", "websockets", "synapse-client", "synapse-plugins", "aiohttp", "fsspec"],
    "synapse-client": ["ray", "websockets", "synapse-plugins"],
    "synapse-plugins": ["ray"],
}


def _package_toml(dist: str) -> dict:
    return nox.project.load_toml(ROOT / "packages" / dist / "pyproject.toml")


def _with_all_extras(dist: str) -> str:
    extras = sorted(_package_toml(dist)["project"].get("optional-dependencies", {}))
    path = f"packages/{dist}"
    return f"{path}[{','.join(extras)}]" if extras else path


# Unpublished test helpers (servers, fixtures, Hypothesis profiles) every test session installs; never built or
# installed alone. Its pytest plugin loads through an entry point.
TESTKIT = "packages/synapse-testkit"


def _test_requirements(dist: str) -> list[str]:
    own = _package_toml(dist).get("dependency-groups", {}).get("test", [])
    return [*nox.project.dependency_groups(PYPROJECT, "test"), *own, TESTKIT]


@cache
def _constraints_file() -> str:
    """Export uv.lock as a pip constraints file, once per nox run."""
    target = ROOT / "build" / "constraints.txt"
    target.parent.mkdir(exist_ok=True)
    partial = target.with_name(f"constraints.{os.getpid()}.tmp")  # parallel nox runs must not see a half file
    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("nox here needs uv: python3 -m pip install 'nox[uv]'")
    subprocess.run(
        [uv, "export", "--frozen", "--all-packages", "--all-groups", "--all-extras", "--no-hashes",
         "--no-emit-workspace", "--no-header", "--no-annotate", "--quiet", "-o", str(partial)],
        cwd=ROOT, check=True,
    )  # fmt: skip
    os.replace(partial, target)
    return str(target)


def _install(session: nox.Session, *requirements: str, editable: bool = True) -> None:
    """Install requirements pinned by the lock; local package paths are installed editable."""
    args: list[str] = []
    for req in requirements:
        if req.startswith("packages/") and editable:
            args += ["-e", req]
        else:
            args.append(req)
    session.install("-c", _constraints_file(), *args)


def _install_workspace(session: nox.Session, dists: list[str], *, extras: bool = True) -> None:
    _install(session, *[_with_all_extras(d) if extras else f"packages/{d}" for d in dists])


def _test_env(session: nox.Session) -> dict[str, str]:
    env = {"PYTHONDONTWRITEBYTECODE": "1"}
    env["HYPOTHESIS_PROFILE"] = "ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "default")
    return env


def _unit_tests(short: str) -> None:
    dist, needs = PACKAGES[short]

    @nox.session(name=f"tests-{short}")
    def tests(session: nox.Session) -> None:
        # Only this package, the workspace packages it declares, their extras and the test tools: an import of an
        # undeclared dependency fails here.
        _install_workspace(session, needs)
        _install(session, *_test_requirements(dist))
        # Docstring examples run too: they are the first code a user copies.
        default = [f"packages/{dist}/tests", f"packages/{dist}/src", "--doctest-modules"]
        session.run("pytest", *(session.posargs or default), env=_test_env(session))
        if short == "fileutils" and not session.posargs:
            # Again as on a fresh machine: no ffmpeg/ffprobe on PATH, only the `video` extra's FFmpeg wheel.
            wheel_only = {**_test_env(session), "SYNAPSE_TEST_FFMPEG": "wheel"}
            session.run("pytest", "packages/synapse-fileutils/tests/test_video.py", env=wheel_only)

    tests.__doc__ = f"Unit tests of {dist}, in a virtualenv with only {dist} and its declared dependencies."


for _short in PACKAGES:
    _unit_tests(_short)


@nox.session(name="tests-cross")
def tests_cross(session: nox.Session) -> None:
    """Cross-package and end-to-end tests (tests/), with every package and extra installed."""
    _install_workspace(session, list(PACKAGES["plugins"][1]))
    _install(session, *{r for d in PACKAGES["plugins"][1] for r in _test_requirements(d)})
    # tests/docs runs in its own session, docs-examples.
    session.run("pytest", *(session.posargs or ["tests", "--ignore=tests/docs"]), env=_test_env(session))


@nox.session(name="docs-examples")
def docs_examples(session: nox.Session) -> None:
    """Run every fenced Python block of the docs pages (both languages) against local servers and a local Ray head."""
    _install_workspace(session, list(PACKAGES["plugins"][1]))
    _install(session, *{r for d in PACKAGES["plugins"][1] for r in _test_requirements(d)})
    _install(session, *nox.project.dependency_groups(PYPROJECT, "docs"))  # the build hook's doctests import mkdocs
    default = ["tests/docs", "tools/docs_markdown.py", "tools/mkdocs_hooks.py", "--doctest-modules", "--durations=5"]
    session.run("pytest", *(session.posargs or default), env=_test_env(session))


@nox.session(venv_backend="none")
def build(session: nox.Session) -> None:
    """Build the three wheels into dist/, for `pip install --find-links dist "synapse-client[websocket]"`."""
    dist_dir = ROOT / "dist"
    for dist, _needs in PACKAGES.values():
        for old in dist_dir.glob(f"{dist.replace('-', '_')}-*.whl"):
            old.unlink()  # one wheel per package: no stale version beside the new one
        session.run("uv", "build", "--quiet", "--package", dist, "--wheel", "--out-dir", str(dist_dir), external=True)
    session.log("wheels in %s: %s", dist_dir, ", ".join(sorted(p.name for p in dist_dir.glob("*.whl"))))


@nox.session(name="tests-examples")
def tests_examples(session: nox.Session) -> None:
    """The example plugins' own tests (examples/*/tests), with every package and extra installed."""
    _install_workspace(session, list(PACKAGES["plugins"][1]))
    _install(session, *{r for d in PACKAGES["plugins"][1] for r in _test_requirements(d)})
    default = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("examples/*/tests"))
    session.run("pytest", *(session.posargs or default), env=_test_env(session))


@nox.session(name="install-alone")
def install_alone(session: nox.Session) -> None:
    """Build each wheel, install it alone into a fresh venv, import it, and check what it pulled in."""
    tmp = Path(session.create_tmp())
    dist_dir = tmp / "dist"
    shutil.rmtree(dist_dir, ignore_errors=True)
    for dist, _needs in PACKAGES.values():
        session.run("uv", "build", "--quiet", "--package", dist, "--wheel", "--out-dir", str(dist_dir), external=True)
    for dist, needs in PACKAGES.values():
        venv = tmp / f"alone-{dist}"
        shutil.rmtree(venv, ignore_errors=True)
        session.run("uv", "venv", "--quiet", "--python", sys.executable, str(venv), external=True)
        python = str(venv / "bin" / "python")
        wheels = [str(next(dist_dir.glob(f"{n.replace('-', '_')}-*.whl"))) for n in needs]
        session.run("uv", "pip", "install", "--quiet", "--python", python, "-c", _constraints_file(), *wheels,
                    external=True)  # fmt: skip
        session.run(python, str(ROOT / "tools" / "check_install.py"), dist, *FORBIDDEN_ALONE[dist], external=True)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check over the whole repository, and a uv.lock in step with the pyproject files."""
    _install(session, *nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("uv", "lock", "--check", external=True)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy (strict) over the three packages' sources."""
    _install_workspace(session, list(PACKAGES["plugins"][1]))
    _install(session, *nox.project.dependency_groups(PYPROJECT, "typecheck"))
    session.run("mypy", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the bilingual docs site with --strict, then check it in headless Chromium."""
    _install_workspace(session, list(PACKAGES["plugins"][1]))
    _install(session, *nox.project.dependency_groups(PYPROJECT, "docs"))
    # `nox -s docs -- OUT` builds into OUT (default build/site) so parallel runs do not share a folder.
    site = Path(session.posargs[0]).resolve() if session.posargs else ROOT / "build" / "site"
    session.run("mkdocs", "build", "--strict", "--site-dir", str(site))
    session.run("python", "tools/docs_browser_check.py", str(site), "--shots", str(site.parent / "screenshots"))


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks of every package against the tool a user would pick instead (not run by default)."""
    _install_workspace(session, list(PACKAGES["plugins"][1]))
    _install(session, *{r for d in PACKAGES["plugins"][1] for r in _test_requirements(d)})
    _install(session, *nox.project.dependency_groups(PYPROJECT, "bench"))
    # The converters benchmark compares every format pair with datumaro too. It is installed here only, outside the
    # lock: its pins (numpy < 2.5, opencv, pandas, pyarrow) would otherwise reach every workspace environment.
    session.install("datumaro>=1.13")
    session.run("python", "tools/run_benchmarks.py", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: the end-to-end demo on a local Ray head started on demand."""
    _install_workspace(session, list(PACKAGES["plugins"][1]))
    session.run("python", "examples/demo.py", *session.posargs)
