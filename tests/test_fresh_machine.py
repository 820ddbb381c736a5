"""The README's two commands as a new user meets them: a bare clone, and a machine without FFmpeg.

A clone must carry every file its tests and its demo read (nothing outside the checkout), and nothing in the demo may
need a system FFmpeg.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from synapse_testkit.pathfarm import path_without

ROOT = Path(__file__).resolve().parents[1]


def _env(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNAPSE_", "PYTEST_"))}
    env.update(changes)
    return env


def _clone(tmp_path: Path) -> Path:
    git = shutil.which("git")
    assert git is not None, "git is needed to clone the repository"
    head = subprocess.run([git, "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    clone = tmp_path / "synapse-sdk"  # alone in its folder: no shared/ or corpus beside it
    subprocess.run([git, "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)], check=True)
    subprocess.run([git, "-C", str(clone), "checkout", "--quiet", head.strip()], check=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synapse-sdk"]
    return clone


@pytest.mark.slow
def test_a_clone_with_nothing_beside_it_passes_the_plugins_tests(tmp_path: Path) -> None:
    clone = _clone(tmp_path)

    # The installed packages are this checkout's; what the clone must bring is every test and data file.
    result = subprocess.run(
        # The Ray tests read no repository file and run in tests-plugins already: the clone runs the others.
        [sys.executable, "-m", "pytest", "packages/synapse-plugins/tests", "-q", "-p", "no:cacheprovider", "-m",
         "not ray"],
        cwd=clone, env=_env(PYTHONDONTWRITEBYTECODE="1"), capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in summary
    assert "failed" not in summary
    assert "error" not in summary


@pytest.mark.slow
@pytest.mark.ray
def test_the_demo_runs_from_a_clone_with_no_ffmpeg_on_path(tmp_path: Path) -> None:
    clone = _clone(tmp_path / "clone")
    path = path_without({"ffmpeg", "ffprobe"}, tmp_path / "bin")
    assert shutil.which("ffmpeg", path=path) is None
    assert shutil.which("ffprobe", path=path) is None
    out = tmp_path / "out"
    env = _env(PATH=path)
    env.pop("RAY_ADDRESS", None)  # the demo starts its own head, as on a new machine
    result = subprocess.run(
        [sys.executable, str(clone / "examples" / "demo.py"), "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "run succeeded" in result.stderr
    assert "export folder:" in result.stdout
    exported = out / "sample-yolo"
    assert (exported / "dataset.yaml").is_file()
    names = (exported / "classes.txt").read_text().splitlines()
    assert names == sorted(names)
    assert len(list((exported / "labels").rglob("*.txt"))) == 6
