"""The local provider on a temp folder: confinement against links, atomic writes, plain pathlib objects."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from synapse_fileutils.storage import LocalStorage, PathEscapeError, get_storage


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    folder.mkdir()
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text("do not read")
    return folder


def test_folder_link_leading_outside_is_refused_for_every_operation(root: Path, outside: Path, tmp_path: Path) -> None:
    (root / "link").symlink_to(outside, target_is_directory=True)
    storage = LocalStorage(root)

    with pytest.raises(PathEscapeError, match="symbolic link"):
        storage.download("link/secret.txt", tmp_path / "stolen.txt")
    with pytest.raises(PathEscapeError):
        storage.upload(io.BytesIO(b"planted"), "link/planted.txt")
    with pytest.raises(PathEscapeError):
        storage.exists("link/secret.txt")
    with pytest.raises(PathEscapeError):
        storage.get_pathlib("link")
    with pytest.raises(PathEscapeError):
        storage.get_path_file_count("link")
    assert not (tmp_path / "stolen.txt").exists()
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_file_link_leading_outside_is_refused_and_not_listed(root: Path, outside: Path, tmp_path: Path) -> None:
    (root / "innocent.txt").symlink_to(outside / "secret.txt")
    (root / "real.txt").write_bytes(b"12")
    storage = LocalStorage(root)

    with pytest.raises(PathEscapeError):
        storage.download("innocent.txt", tmp_path / "stolen.txt")
    assert [entry.path for entry in storage.iter_files()] == ["real.txt"]
    assert storage.get_path_total_size() == 2


def test_link_that_stays_inside_the_root_is_followed(root: Path, tmp_path: Path) -> None:
    (root / "data").mkdir()
    (root / "data" / "a.txt").write_bytes(b"inside")
    (root / "alias").symlink_to(root / "data", target_is_directory=True)
    storage = LocalStorage(root)

    assert storage.download("alias/a.txt", tmp_path / "a.txt").read_bytes() == b"inside"


def test_root_reached_through_a_link_still_confines(tmp_path: Path, outside: Path) -> None:
    real = tmp_path / "real-root"
    real.mkdir()
    (tmp_path / "root-link").symlink_to(real, target_is_directory=True)
    storage = LocalStorage(tmp_path / "root-link")

    storage.upload(io.BytesIO(b"ok"), "x.txt")
    assert (real / "x.txt").read_bytes() == b"ok"
    with pytest.raises(PathEscapeError):
        storage.exists("../outside/secret.txt")


def test_upload_creates_the_root_and_leaves_no_temp_files(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "new-root")
    storage.upload(io.BytesIO(b"x" * 1000), "deep/er/file.bin")
    assert [p.name for p in (tmp_path / "new-root" / "deep" / "er").iterdir()] == ["file.bin"]


def test_get_pathlib_returns_a_resolved_path_inside_the_root(root: Path) -> None:
    storage = get_storage(f"file://{root}")
    path = storage.get_pathlib("/a/b/../c.txt")
    assert isinstance(path, Path)
    assert path == root.resolve() / "a" / "c.txt"


def test_get_url_is_a_file_uri(root: Path) -> None:
    assert LocalStorage(root).get_url("a b.txt") == (root / "a b.txt").as_uri()


def test_download_target_folder_is_created(root: Path, tmp_path: Path) -> None:
    storage = LocalStorage(root)
    storage.upload(io.BytesIO(b"d"), "a.txt")
    target = tmp_path / "x" / "y" / "a.txt"
    assert storage.download("a.txt", target) == target
    assert target.read_bytes() == b"d"


def test_repr_shows_the_location(root: Path) -> None:
    assert repr(LocalStorage(root)) == f"LocalStorage(location={str(root)!r})"
    assert os.fspath(LocalStorage(root).root) == str(root)


def test_upload_from_an_open_file_starts_at_its_position_and_reports_progress(root: Path, tmp_path: Path) -> None:
    source = tmp_path / "src.bin"
    source.write_bytes(b"header|" + b"p" * 100_000)
    storage = LocalStorage(root)
    progress: list[tuple[int, int | None]] = []
    with open(source, "rb") as file:
        file.read(3)  # the buffered reader now holds read-ahead bytes beyond position 3
        file.seek(7)
        storage.upload(file, "body.bin", progress=lambda d, t: progress.append((d, t)))
        assert file.tell() == 7 + 100_000
    assert (root / "body.bin").read_bytes() == b"p" * 100_000
    assert progress[0] == (0, None)
    assert progress[-1] == (100_000, None)
