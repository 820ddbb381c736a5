"""Packaging a local working_dir: what is packed, how it is named, and submitting it to a real Ray head."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from synapse_client.ray import JobStatus, RayClient
from synapse_client.ray.packaging import build_package, package_name
from synapse_client.testing import LocalRayHead


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_secrets_vcs_virtualenvs_and_caches_are_never_packed(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "main.py": "print(1)\n",
            "pkg/mod.py": "",
            ".env": "TOKEN=x\n",
            ".env.local": "TOKEN=y\n",
            "sub/.env": "TOKEN=z\n",
            ".git/config": "",
            ".venv/bin/python": "",
            "myenv/pyvenv.cfg": "home = /usr\n",
            "myenv/lib/site.py": "",
            "pkg/__pycache__/mod.cpython-311.pyc": "",
            ".pytest_cache/v": "",
        },
    )
    assert build_package(tmp_path).files == ("main.py", "pkg/mod.py")


def test_gitignore_files_apply_below_their_folder_with_negation(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            ".gitignore": "*.log\nbuild/\n",
            "keep.py": "",
            "run.log": "",
            "build/out.bin": "",
            "data/.gitignore": "*.csv\n!keep.csv\n",
            "data/a.csv": "",
            "data/keep.csv": "",
            "other/b.csv": "",
            ".rayignore": "other/\n",
        },
    )
    files = build_package(tmp_path, excludes=["keep.py"]).files
    assert files == (".gitignore", ".rayignore", "data/.gitignore", "data/keep.csv")


def test_the_name_follows_content_and_names_not_timestamps(tmp_path: Path) -> None:
    _tree(tmp_path, {"a.py": "x = 1\n", "b/c.py": "y = 2\n"})
    first = build_package(tmp_path)
    os.utime(tmp_path / "a.py", (1, 1))
    again = build_package(tmp_path)
    assert again.uri == first.uri
    assert again.zip_bytes() == first.zip_bytes()
    (tmp_path / "a.py").write_text("x = 2\n")
    changed = build_package(tmp_path)
    assert changed.uri != first.uri
    (tmp_path / "a.py").rename(tmp_path / "z.py")
    assert build_package(tmp_path).uri not in (first.uri, changed.uri)
    assert package_name(first.uri).startswith("_ray_pkg_")


def test_the_zip_holds_exactly_the_files_with_their_bytes(tmp_path: Path) -> None:
    _tree(tmp_path, {"a.py": "alpha", "deep/er/b.txt": "béta"})
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    package = build_package(tmp_path)
    with zipfile.ZipFile(io.BytesIO(package.zip_bytes())) as archive:
        assert archive.namelist() == ["a.py", "deep/er/b.txt", "run.sh"]
        assert archive.read("deep/er/b.txt") == "béta".encode()
        assert (archive.getinfo("run.sh").external_attr >> 16) & 0o777 == 0o755
        assert (archive.getinfo("a.py").external_attr >> 16) & 0o777 == 0o644


def test_links_out_of_the_folder_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    folder = _tree(tmp_path / "pkg", {"main.py": ""})
    (folder / "leak.txt").symlink_to(outside)
    (folder / "alias.py").symlink_to(folder / "main.py")
    assert build_package(folder).files == ("alias.py", "main.py")


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a directory"):
        build_package(tmp_path / "nope")


@pytest.mark.ray
def test_submit_job_packages_a_local_working_dir_once(tmp_path: Path, ray_head: LocalRayHead) -> None:
    _tree(tmp_path, {"main.py": "import os\nprint(sorted(os.listdir('.')))\n", ".env": "TOKEN=secret\n"})
    client = RayClient(ray_head.dashboard_url)
    job_id = client.submit_job(["python", "main.py"], runtime_env={"working_dir": str(tmp_path)})
    assert client.wait_for_job(job_id, timeout=300).status is JobStatus.SUCCEEDED
    assert "['main.py']" in client.list_job_logs(job_id)
    uri = client.get_job(job_id).raw["runtime_env"]["working_dir"]
    assert uri == build_package(tmp_path).uri
    assert client.has_package(uri)
    assert client.upload_package(build_package(tmp_path)) is False
