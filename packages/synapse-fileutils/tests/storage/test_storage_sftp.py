"""The SFTP provider against an asyncssh server on 127.0.0.1: link confinement, host keys, login failures."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from synapse_fileutils.storage import PathEscapeError, StorageOperationError, get_storage


@pytest.fixture
def sftp_root(sftp_record: dict[str, Any]) -> Path:
    return Path(sftp_record["configuration"]["root_path"])


def test_link_on_the_server_leading_outside_is_refused(
    sftp_record: dict[str, Any], sftp_root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("server secret")
    (sftp_root / "escape").symlink_to(outside, target_is_directory=True)
    (sftp_root / "file-link").symlink_to(outside / "secret.txt")
    storage = get_storage(sftp_record)

    with pytest.raises(PathEscapeError):
        storage.download("escape/secret.txt", tmp_path / "stolen.txt")
    with pytest.raises(PathEscapeError):
        storage.download("file-link", tmp_path / "stolen.txt")
    with pytest.raises(PathEscapeError):
        storage.upload(io.BytesIO(b"planted"), "escape/new/planted.txt")
    with pytest.raises(PathEscapeError):
        storage.get_pathlib("escape")
    assert not (tmp_path / "stolen.txt").exists()
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert storage.get_path_file_count() == 0  # links are not listed


def test_upload_renames_into_place_and_leaves_no_temp(sftp_record: dict[str, Any], sftp_root: Path) -> None:
    storage = get_storage(sftp_record)
    storage.upload(io.BytesIO(b"atomic"), "out/a.txt")
    assert sorted(p.name for p in (sftp_root / "out").iterdir()) == ["a.txt"]
    assert (sftp_root / "out" / "a.txt").read_bytes() == b"atomic"


def test_url_names_host_and_path_without_credentials(sftp_record: dict[str, Any], sftp_root: Path) -> None:
    storage = get_storage(sftp_record)
    port = sftp_record["configuration"]["port"]
    assert storage.get_url("a b.txt") == f"sftp://127.0.0.1:{port}{sftp_root}/a%20b.txt"


def test_wrong_password_fails_without_showing_it(sftp_record: dict[str, Any]) -> None:
    configuration = {**sftp_record["configuration"], "password": "wrong-Pa55word-xyz"}
    with pytest.raises(StorageOperationError) as caught:
        get_storage({"provider": "sftp", "configuration": configuration})
    assert caught.value.operation == "connect"
    assert "wrong-Pa55word-xyz" not in str(caught.value)


def test_unknown_host_key_is_refused(sftp_record: dict[str, Any], tmp_path: Path) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    configuration = {**sftp_record["configuration"], "known_hosts": str(empty)}
    with pytest.raises(StorageOperationError, match="connect"):
        get_storage({"provider": "sftp", "configuration": configuration})


def test_url_form_with_credentials_connects_and_hides_them(sftp_record: dict[str, Any], sftp_root: Path) -> None:
    c = sftp_record["configuration"]
    storage = get_storage(
        f"sftp://{c['username']}:{c['password']}@127.0.0.1:{c['port']}{sftp_root}?known_hosts={c['known_hosts']}"
    )
    storage.upload(io.BytesIO(b"u"), "u.txt")
    assert (sftp_root / "u.txt").read_bytes() == b"u"
    assert c["password"] not in repr(storage)


def test_missing_root_is_reported(sftp_record: dict[str, Any], sftp_root: Path) -> None:
    configuration = {**sftp_record["configuration"], "root_path": str(sftp_root / "absent")}
    with pytest.raises(StorageOperationError):
        get_storage({"provider": "sftp", "configuration": configuration})
